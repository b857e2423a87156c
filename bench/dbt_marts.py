"""Benchmark: the dbt build of every mart over ~1,000,000 synthetic events, full and incremental.

    .venv/bin/python bench/dbt_marts.py [--sessions 125000] [--rounds 3] [--keep]

Fills core.* of a scratch database `touchline_bench_marts` (on the embedded server, or the server of
DATABASE_URL) with sessions x 8 events through generate_series (bench/dbt_marts.sql), then times the dbt
build as the nightly run does it: the Dagster asset `touchline_dbt_assets` (dbt in the run worker's process,
orchestration/marts/runner.py, D15; every model, seed and data test, each test an asset check), each build in
a fresh Python process that has loaded the code location, as a run worker has. A round: a full build
(--full-refresh), one more day of sessions written to core with the change-log rows a core build writes for
them, the incremental build; then another day and the same incremental build as a dbt process (how the asset
ran dbt before D15), for comparison; then core as it was (the round's days removed), so that rounds repeat
one measurement. Before each timed build the database is vacuumed, analysed and checkpointed (`settle`), as
the server leaves it minutes after a build. Printed: each time, incremental / full (issue 11: <= 25 %), and the full
build against BASELINE_REV's `dbt build --full-refresh` (a dbt process, as it ran then; issue 11: within
10 %), timed first in each round on the same data. The scratch database is dropped afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")

from touchline import db, warehouse  # noqa: E402

FILL_SQL = Path(__file__).with_name("dbt_marts.sql")
NEXT_DAY_SQL = r"""
INSERT INTO core.sessions SELECT project_id, session_id || '_next', device_id, anonymous_id, user_key, blended_user_id,
    started_at + interval '1 day', ended_at + interval '1 day', duration_seconds, event_count, page_view_count,
    landing_page_url, landing_page_path, exit_page_url, exit_page_path, referrer, referrer_host, referrer_class, channel,
    utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id, gclid, gbraid, wbraid, fbclid, msclkid, ttclid,
    li_fat_id, browser, os, device_type, country_code, country, region, city
FROM core.sessions WHERE started_at >= (SELECT max(started_at) - interval '1 day' FROM core.sessions);
INSERT INTO core.events (project_id, message_id, event_type, event_name, anonymous_id, user_id, device_id, event_at,
    event_date, received_at, properties, traits, referrer_class, device_type, country_code, is_bot, session_id,
    session_event_sequence, user_key, blended_user_id)
SELECT e.project_id, e.message_id || '_next', e.event_type, e.event_name, e.anonymous_id, e.user_id, e.device_id,
    e.event_at + interval '1 day', (e.event_at + interval '1 day')::date, e.received_at + interval '1 day', e.properties,
    e.traits, e.referrer_class, e.device_type, e.country_code, e.is_bot, e.session_id || '_next',
    e.session_event_sequence, e.user_key, e.blended_user_id
FROM core.events e JOIN core.sessions s ON s.project_id = e.project_id AND s.session_id = e.session_id || '_next';
-- what the core build logs for that day (orchestration/core/sql/change_log.sql): its persons and sessions
INSERT INTO core.change_log (project_id, kind, entity_id)
SELECT DISTINCT project_id, 'person', blended_user_id FROM core.sessions WHERE session_id LIKE '%\_next';
INSERT INTO core.change_log (project_id, kind, entity_id, day)
SELECT project_id, 'session', session_id, (started_at AT TIME ZONE 'UTC')::date FROM core.sessions
WHERE session_id LIKE '%\_next';
ANALYZE core.events; ANALYZE core.sessions; ANALYZE core.change_log;
"""


LAST_RUN: dict[str, float] = {}  # node seconds by kind (view, incremental, table, seed, test) of the last build
BASELINE_REV = "5aa0a23"  # the commit before issue 11: its dbt project is the full build to stay within 10 % of
# "12 of 98 OK created sql view model staging.x ..... [SELECT 1 in 0.16s]", "PASS not_null_x ... [PASS in 0.05s]"
NODE_LINE = re.compile(r"\d+ of \d+ (?:OK|PASS|WARN|FAIL|ERROR)\s+(.*?) \.{2,}.*\bin ([\d.]+)s\]")
KINDS = (
    ("view model", "view"),
    ("incremental model", "incremental"),
    ("table model", "table"),
    ("seed", "seed"),
    ("hook", "hook"),
)


def node_kind(text: str) -> str:
    return next((kind for words, kind in KINDS if words in text), "test")


def run_dbt(url: str, target: Path, *args: str, project_dir: Path | None = None) -> float:
    """Wall-clock seconds of one dbt process (start included); LAST_RUN gets its node seconds by kind,
    read from dbt's own output (the Dagster build writes no run_results.json: --no-write-json)."""
    from orchestration.marts import DBT_PROJECT_DIR, dbt_env
    from orchestration.marts.project import dbt_command

    project_dir = project_dir or DBT_PROJECT_DIR
    started = time.perf_counter()
    proc = subprocess.run(
        dbt_command(*args, target_path=target, log_path=target, project_dir=project_dir),
        env={**os.environ, **dbt_env(url)},
        capture_output=True,
        text=True,
        cwd=str(project_dir),
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{proc.stdout[-5000:]}")
    by_kind: dict[str, float] = {}
    for match in NODE_LINE.finditer(proc.stdout):
        kind = node_kind(match.group(1))
        by_kind[kind] = by_kind.get(kind, 0.0) + float(match.group(2))
    LAST_RUN.clear()
    LAST_RUN.update(by_kind)
    if by_kind:
        print(
            "    node seconds (summed over threads): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(by_kind.items()))
        )
    for line in proc.stdout.splitlines():
        if "Finished running" in line or "partial pars" in line.lower():
            print("   ", line.split("  ", 1)[-1].strip())
    return elapsed


def asset_build(url: str, full_refresh: bool) -> float:
    """Seconds of one build through the Dagster asset, in a fresh process that loads the code location
    first (a run worker's start is not the build's); fails on a failed build."""
    proc = subprocess.run(
        [sys.executable, __file__, "--asset-build", "full" if full_refresh else "incremental", "--url", url],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
    )
    result = proc.stdout.strip().splitlines()[-1:] or [""]
    if proc.returncode != 0 or not result[0].startswith("ASSET_BUILD "):
        raise SystemExit(f"asset build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    _, seconds, checks, materialized = result[0].split()
    print(f"    {materialized} assets materialized, {checks} asset checks passed")
    return float(seconds)


def _asset_build_child(url: str, full_refresh: bool) -> None:
    import contextlib
    import io

    from dagster import DagsterInstance, materialize

    import orchestration.definitions  # noqa: F401  (what a run worker loads before any step)
    from orchestration.marts import DBT_ASSETS_OP, dbt_resource, touchline_dbt_assets

    # a run worker has its instance (storage) before the run starts, as it has the code location
    with DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the compute log: dbt's console lines
            result = materialize(
                [touchline_dbt_assets],
                resources={"dbt": dbt_resource(url)},
                run_config={"ops": {DBT_ASSETS_OP: {"config": {"full_refresh": full_refresh}}}},
                instance=instance,
                raise_on_error=False,
            )
        elapsed = time.perf_counter() - started
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    if not result.success or not all(c.passed for c in checks):
        raise SystemExit("the build failed or a check did not pass")
    print(f"ASSET_BUILD {elapsed:.3f} {len(checks)} {len(result.get_asset_materialization_events())}")


def add_day(url: str, suffix: str) -> int:
    """One more day of sessions in core, with its change-log rows; the number of its sessions."""
    with db.connect(url, autocommit=True) as conn:
        conn.execute(NEXT_DAY_SQL.replace("_next", suffix))
        return conn.execute(f"SELECT count(*) FROM core.sessions WHERE session_id LIKE '%\\{suffix}'").fetchone()[0]


def remove_days(url: str, suffixes: list[str], log_seq: int) -> None:
    """Core as it was before the round: the days it added and their change-log rows removed, so that every
    round repeats the same measurement instead of stacking days on the same persons."""
    with db.connect(url, autocommit=True) as conn:
        for suffix in suffixes:
            for table in ("core.events", "core.sessions"):
                conn.execute(f"DELETE FROM {table} WHERE session_id LIKE '%\\{suffix}'")
        conn.execute("DELETE FROM core.change_log WHERE seq > %s", (log_seq,))


def settle(url: str) -> None:
    """What the server does within minutes of a build that wrote new tables, done before the next timed
    build instead of during it: autovacuum's VACUUM ANALYZE of the rebuilt tables and a checkpoint of the
    pages they dirtied (a full build writes about a gigabyte). A nightly build never starts seconds after a
    full refresh; in the benchmark both landed in one timed build and not the next, and identical rounds
    differed by a second and more. The checkpoint needs a superuser (or pg_checkpoint): skipped without."""
    with db.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        if conn.execute(
            "SELECT rolsuper OR pg_has_role(current_user, 'pg_checkpoint', 'MEMBER') FROM pg_roles"
            " WHERE rolname = current_user"
        ).fetchone()[0]:
            conn.execute("CHECKPOINT")


def change_log_seq(url: str) -> int:
    with db.connect(url) as conn:
        return conn.execute("SELECT coalesce(max(seq), 0) FROM core.change_log").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=125_000, help="sessions (x 8 events each)")
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of (baseline full, full, one more day, incremental, one more day, incremental as a dbt process); medians",
    )
    parser.add_argument(
        "--baseline-rev",
        default=BASELINE_REV,
        help="git revision whose dbt project's full build is timed first, for comparison ('' = skip)",
    )
    parser.add_argument("--asset-build", choices=["full", "incremental"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.asset_build:
        _asset_build_child(args.url, args.asset_build == "full")
        return

    url = db.libpq_url(db.with_database(db.server_url(), "touchline_bench_marts"))
    db.drop_database(url)
    db.ensure_database(url)
    try:
        with db.connect(url) as conn:
            warehouse.migrate(conn)
            conn.commit()
        t0 = time.perf_counter()
        with db.connect(url, autocommit=True) as conn:
            conn.execute(
                FILL_SQL.read_text()
                .replace("%(sessions)s", str(args.sessions))
                .replace("%(devices)s", str(args.devices))
            )
            events = conn.execute("SELECT count(*) FROM core.events").fetchone()[0]
            sessions = conn.execute("SELECT count(*) FROM core.sessions").fetchone()[0]
        print(f"filled core: {events:,} events, {sessions:,} sessions in {time.perf_counter() - t0:.1f} s")

        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp)
            from orchestration.marts.assets import BUILD_ARGS

            old = None
            if args.baseline_rev:  # the dbt project of that revision, on the same data, same flags
                old = Path(tmp) / "baseline"
                old.mkdir()
                archive = subprocess.run(
                    ["git", "-C", str(ROOT), "archive", args.baseline_rev, "dbt_project"],
                    capture_output=True,
                    check=True,
                ).stdout
                subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
                run_dbt(url, old / "target", "parse", project_dir=old / "dbt_project")
            run_dbt(url, target, "parse")  # the partial-parse state a dbt process finds
            times: dict[str, list[float]] = {"before": [], "full": [], "incremental": [], "process": []}
            for n in range(1, args.rounds + 1):
                print(f"round {n} of {args.rounds}")
                log_seq = change_log_seq(url)
                if old:
                    settle(url)
                    times["before"].append(
                        run_dbt(
                            url,
                            old / "target",
                            *[a for a in BUILD_ARGS if a != "--no-write-json"],
                            "--full-refresh",
                            project_dir=old / "dbt_project",
                        )
                    )
                    print(
                        f"  full dbt build of {args.baseline_rev} (before issue 11, a dbt process): {times['before'][-1]:.1f} s"
                    )
                settle(url)
                times["full"].append(asset_build(url, full_refresh=True))
                print(f"  full build through the asset over {events:,} events: {times['full'][-1]:.1f} s")
                settle(url)
                day = add_day(url, f"_d{n}")
                times["incremental"].append(asset_build(url, full_refresh=False))
                print(
                    f"  incremental build through the asset after one more day ({day:,} sessions):"
                    f" {times['incremental'][-1]:.1f} s = {100 * times['incremental'][-1] / times['full'][-1]:.0f} %"
                    " of this round's full"
                )
                add_day(url, f"_p{n}")
                times["process"].append(run_dbt(url, target, *BUILD_ARGS))
                print(f"  the same incremental build as a dbt process (before D15): {times['process'][-1]:.1f} s")
                remove_days(url, [f"_d{n}", f"_p{n}"], log_seq)
            med = {k: statistics.median(v) for k, v in times.items() if v}
            ratios = [i / f for i, f in zip(times["incremental"], times["full"])]
            print(
                f"medians of {args.rounds} rounds: full {med['full']:.1f} s, incremental {med['incremental']:.1f} s,"
                f" incremental as a dbt process {med['process']:.1f} s"
            )
            if "before" in med:
                print(
                    f"full build vs {args.baseline_rev}'s (medians): {100 * (med['full'] / med['before'] - 1):+.0f} %"
                    f" ({med['before']:.1f} s before; target within 10 %)"
                )
            print(
                f"incremental / full: {100 * med['incremental'] / med['full']:.0f} % of medians, per round "
                + ", ".join(f"{100 * r:.0f} %" for r in ratios)
                + " (target <= 25 %)"
            )
    finally:
        if not args.keep:
            db.drop_database(url)


if __name__ == "__main__":
    main()
