"""Benchmark: `dbt build` of every mart over ~1,000,000 synthetic events (target: <= 60 s).

    .venv/bin/python bench/dbt_marts.py [--sessions 125000] [--keep]

Fills core.* of a scratch database `touchline_bench_marts` (on the embedded server, or the server of
DATABASE_URL) with sessions x 8 events through generate_series (bench/dbt_marts.sql), then times
`dbt build --full-refresh` (all models and tests), and an incremental `dbt build` after one more day
of sessions. The scratch database is dropped afterwards unless --keep.
"""
from __future__ import annotations

import argparse
import os
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
NEXT_DAY_SQL = """
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
ANALYZE core.events; ANALYZE core.sessions;
"""


def run_dbt(url: str, target: Path, *args: str) -> float:
    from orchestration.marts import DBT_PROJECT_DIR, dbt_env
    from orchestration.marts.project import DBT_EXECUTABLE

    started = time.perf_counter()
    proc = subprocess.run(
        [DBT_EXECUTABLE, "--no-use-colors", *args, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(target)],
        env={**os.environ, **dbt_env(url)}, capture_output=True, text=True, cwd=str(DBT_PROJECT_DIR))
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{proc.stdout[-5000:]}")
    for line in proc.stdout.splitlines():
        if "Done. PASS=" in line or "Finished running" in line:
            print("   ", line.split("  ", 1)[-1].strip())
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=125_000, help="sessions (x 8 events each)")
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    url = db.libpq_url(db.with_database(db.server_url(), "touchline_bench_marts"))
    db.drop_database(url)
    db.ensure_database(url)
    try:
        with db.connect(url) as conn:
            warehouse.migrate(conn)
            conn.commit()
        t0 = time.perf_counter()
        with db.connect(url, autocommit=True) as conn:
            conn.execute(FILL_SQL.read_text().replace("%(sessions)s", str(args.sessions))
                         .replace("%(devices)s", str(args.devices)))
            events = conn.execute("SELECT count(*) FROM core.events").fetchone()[0]
            sessions = conn.execute("SELECT count(*) FROM core.sessions").fetchone()[0]
        print(f"filled core: {events:,} events, {sessions:,} sessions in {time.perf_counter() - t0:.1f} s")

        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp)
            run_dbt(url, target, "parse")
            full = run_dbt(url, target, "build", "--full-refresh")
            print(f"dbt build --full-refresh of all marts over {events:,} events: {full:.1f} s (target <= 60 s)")
            with db.connect(url, autocommit=True) as conn:
                conn.execute(NEXT_DAY_SQL)
            inc = run_dbt(url, target, "build")
            print(f"incremental dbt build after one more day of sessions: {inc:.1f} s")
    finally:
        if not args.keep:
            db.drop_database(url)


if __name__ == "__main__":
    main()
