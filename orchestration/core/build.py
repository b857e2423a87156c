"""The core build, as plain functions on a psycopg connection (the Dagster assets call them).

One run: stage the new raw events (`stage_batch`), look up distinct IPs and user agents
(`refresh_geo`, `refresh_devices`), then `build_core` recomputes, in one transaction, every device the
batch touches from the segment its earliest new event falls in (its whole history when a new
identification or an alias can re-stitch the past: see sql/collect_devices.sql), rewriting only the rows
that change, and `build_profiles` the users involved. A full refresh stages all of raw and runs the same
code after emptying core inside the build's own transaction (readers see the old core or the new one,
never an empty one), so incremental runs equal a full rebuild by construction
(tests/orchestration/test_core_accuracy.py).
"""
from __future__ import annotations

import time
import zoneinfo
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import psycopg
import yaml

from orchestration.enrichment import devices, geo, traffic
from orchestration.identity import aliases

SQL_DIR = Path(__file__).with_name("sql")
WATERMARK = "core.events"
# A transaction of the ingest API may commit after a later one: look back this far past the watermark.
SAFETY_MARGIN = timedelta(hours=1)
CORE_TABLES = ("events", "sessions", "identity_edges", "user_aliases", "identity_map", "identity_merge_log",
               "user_profiles")


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    text = (SQL_DIR / name).read_text()
    if "{{" in text:
        text = (text.replace("{{referrer_class}}", traffic.referrer_class_sql())
                    .replace("{{source_class}}", traffic.source_class_sql())
                    .replace("{{channel}}", traffic.channel_sql()))
    return text


@contextmanager
def timed(timings: dict, step: str):
    t = time.perf_counter()
    yield
    timings[step] = round(time.perf_counter() - t, 2)


def run_sql(conn: psycopg.Connection, text: str, params: dict | None = None) -> None:
    """Run a multi-statement script; parameters are bound client-side (psycopg.ClientCursor)."""
    with psycopg.ClientCursor(conn) as cur:
        cur.execute(text, params)


def full_refresh(conn: psycopg.Connection) -> None:
    with conn.transaction():
        _empty_core(conn, CORE_TABLES)


def _empty_core(conn: psycopg.Connection, tables) -> None:
    conn.execute("TRUNCATE " + ", ".join(f"core.{t}" for t in tables))
    conn.execute("DELETE FROM ops.watermarks WHERE name = %s", (WATERMARK,))


def stage_batch(conn: psycopg.Connection, full_refresh: bool = False) -> dict:
    """Stage the new raw events in core.raw_batch; `full_refresh`: all of raw, whatever core holds."""
    with conn.transaction():
        row = conn.execute("SELECT value FROM ops.watermarks WHERE name = %s", (WATERMARK,)).fetchone()
        since = (row[0] - SAFETY_MARGIN) if row and row[0] and not full_refresh else datetime(1970, 1, 1).astimezone()
        run_sql(conn, sql("stage_batch.sql"), {"since": since, "full_refresh": full_refresh})
        n, max_received = conn.execute("SELECT count(*), max(received_at) FROM core.raw_batch").fetchone()
    return {"rows": n, "since": since.isoformat(), "max_received_at": max_received.isoformat() if max_received else None}


def refresh_geo(conn: psycopg.Connection, geoip_db: Path | None = None) -> dict:
    """Geo for the batch's distinct IPs not looked up before (Python sees each IP once)."""
    with conn.transaction():
        ips = [r[0] for r in conn.execute(
            "SELECT DISTINCT host(b.ip) FROM core.raw_batch b WHERE b.ip IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM core.geo_lookup g WHERE g.ip = b.ip)")]
        with conn.cursor().copy(f"COPY core.geo_lookup ({', '.join(geo.GEO_COLUMNS)}) FROM STDIN") as cp:
            for r in geo.lookup_many(ips, geoip_db):
                cp.write_row(_valid_tz(r))
    return {"new_ips": len(ips)}


def refresh_devices(conn: psycopg.Connection) -> dict:
    """Device and bot flag for the batch's distinct user agents not parsed before."""
    with conn.transaction():
        uas = [r[0] for r in conn.execute(
            "SELECT DISTINCT b.user_agent FROM core.raw_batch b WHERE b.user_agent IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM core.device_lookup d WHERE d.user_agent = b.user_agent)")]
        with conn.cursor().copy(f"COPY core.device_lookup ({', '.join(devices.DEVICE_COLUMNS)}) FROM STDIN") as cp:
            for r in devices.classify_many(uas):
                cp.write_row(r)
    return {"new_user_agents": len(uas)}


@lru_cache(maxsize=None)
def _known_tz(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False


def _valid_tz(row: tuple) -> tuple:
    tz = row[6]
    return row if tz is None or _known_tz(tz) else (*row[:6], None, *row[7:])


def _resolve_aliases(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """Recompute the alias closure of projects with alias edges; return the (project, user id) pairs
    whose canonical user changed."""
    edges: dict[str, list[aliases.AliasEdge]] = {}
    for project_id, f, t, at, mid in conn.execute(
            "SELECT project_id, from_id, to_user_id, first_seen_at, first_message_id"
            " FROM core.identity_edges WHERE kind = 'alias'"):
        edges.setdefault(project_id, []).append(aliases.AliasEdge(f, t, at, mid))
    old = {(p, u): c for p, u, c in conn.execute("SELECT project_id, user_id, canonical_user_id FROM core.user_aliases")}
    new: dict[tuple[str, str], str] = {}
    log = []
    for project_id, project_edges in edges.items():
        canonical, decisions = aliases.resolve(project_edges)
        new.update({(project_id, u): c for u, c in canonical.items()})
        for d in decisions:
            to = canonical.get(d.edge.from_id, d.edge.to_id) if d.rule == "alias" else d.edge.to_id
            log.append((project_id, d.edge.seen_at, "user", d.edge.from_id, d.edge.from_id, to, d.rule, d.edge.message_id))
    changed = [k for k in old.keys() | new.keys() if old.get(k) != new.get(k)]
    if changed or log:
        conn.execute("TRUNCATE core.user_aliases")
        with conn.cursor().copy("COPY core.user_aliases (project_id, user_id, canonical_user_id) FROM STDIN") as cp:
            for (p, u), c in new.items():
                cp.write_row((p, u, c))
        conn.execute("DELETE FROM core.identity_merge_log WHERE id_kind = 'user'")
        with conn.cursor().copy(
                "COPY core.identity_merge_log (project_id, merged_at, id_kind, id_value, from_user_key, to_user_key,"
                " rule, cause_message_id) FROM STDIN") as cp:
            for row in log:
                cp.write_row(row)
    return changed


@contextmanager
def _bulk_indexes(conn: psycopg.Connection, table: str, bulk: bool):
    """On a bulk load (core empty: first run or full refresh), drop the table's indexes and unique
    constraints and rebuild them at the end, in the same transaction: building an index once is several
    times faster than inserting a million rows into it. The table stays locked until commit, and its
    definitions come from the catalog, so migrations stay the one place that declares them."""
    if not bulk:
        yield
        return
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('p', 'u')", (table,)).fetchall()
    for name, _ in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    indexes = conn.execute("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
                           " WHERE indrelid = %s::regclass", (table,)).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    yield
    for name, definition in constraints:
        conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        conn.execute(definition)
    conn.execute(f"ANALYZE {table}")  # the next run plans against the loaded table, not an empty one


def build_core(conn: psycopg.Connection, full_refresh: bool = False) -> dict:
    """Events, sessions, identity for every device the staged batch touches, in one transaction.
    `full_refresh` (the batch is all of raw): core is emptied first, in the same transaction."""
    timings: dict[str, float] = {}
    with conn.transaction():
        if full_refresh:
            _empty_core(conn, [t for t in CORE_TABLES if t != "user_profiles"])
        # Index reads of device histories cost about what sequential ones do (SSD, mostly cached):
        # without this the planner scans all of core.events for a day's few thousand devices.
        conn.execute("SET LOCAL random_page_cost = 1.1")
        with timed(timings, "enrich"):
            conn.execute(sql("enrich_batch.sql"))
            conn.execute("ANALYZE batch_events (project_id, message_id, device_id, anonymous_id, user_id)")
        with timed(timings, "identity"):
            conn.execute(sql("identity_edges.sql"))
            changed = _resolve_aliases(conn)
            conn.execute("CREATE TEMP TABLE changed_ids (project_id text, user_id text) ON COMMIT DROP")
            with conn.cursor().copy("COPY changed_ids FROM STDIN") as cp:
                for row in changed:
                    cp.write_row(row)
        with timed(timings, "collect_devices"):
            conn.execute(sql("collect_devices.sql"))
        with timed(timings, "sessionize"):
            conn.execute(sql("sessionize.sql"))
        with timed(timings, "write"):
            with _bulk_indexes(conn, "core.events", bulk=not conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM core.events)").fetchone()[0]):
                conn.execute(sql("write_events.sql"))
        with timed(timings, "sessions"):
            conn.execute(sql("write_sessions.sql"))
        conn.execute("""
            INSERT INTO core.run_users SELECT DISTINCT project_id, user_key FROM assigned
            WHERE user_key IS NOT NULL AND NOT is_context EXCEPT SELECT project_id, user_key FROM core.run_users
        """)
        stats = conn.execute("""
            SELECT (SELECT count(*) FROM batch_events), (SELECT count(*) FROM affected_devices),
                   (SELECT count(*) FROM changed_events),
                   (SELECT count(*) FROM core.run_users),
                   (SELECT count(*) FROM dev_events WHERE NOT is_new AND NOT is_context),
                   (SELECT count(*) FROM affected_devices WHERE cut IS NOT NULL)
        """).fetchone()
        with timed(timings, "change_log"):  # what the marts recompute (issue 11)
            conn.execute(sql("change_log.sql"))
        conn.execute("""
            INSERT INTO ops.watermarks (name, value) SELECT %s, max(received_at) FROM core.raw_batch
            HAVING max(received_at) IS NOT NULL
            ON CONFLICT (name) DO UPDATE SET value = greatest(ops.watermarks.value, excluded.value), updated_at = now()
        """, (WATERMARK,))
    return {"new_events": stats[0], "devices_recomputed": stats[1], "events_rewritten": stats[0] + stats[2],
            "users_touched": stats[3], "alias_changes": len(changed), "held_events_read": stats[4],
            "devices_read_from_cut": stats[5], "seconds": timings}


@lru_cache(maxsize=1)
def profile_rules() -> dict:
    return yaml.safe_load((Path(__file__).parent.parent / "identity" / "profile_rules.yaml").read_text())


def build_profiles(conn: psycopg.Connection, full_refresh: bool = False) -> dict:
    """Profiles of the users the build touched; `full_refresh`: all profiles replaced in one transaction."""
    rules = profile_rules()
    bad = {r for r in [rules["default"], *rules["traits"].values()]} - {"set_once", "latest", "append"}
    if bad:
        raise ValueError(f"profile_rules.yaml: unknown merge rules {sorted(bad)}")
    with conn.transaction():
        if full_refresh:
            conn.execute("TRUNCATE core.user_profiles")
        conn.execute("CREATE TEMP TABLE profile_rules (key text PRIMARY KEY, rule text) ON COMMIT DROP")
        with conn.cursor().copy("COPY profile_rules FROM STDIN") as cp:
            for k, r in rules["traits"].items():
                cp.write_row((k, r))
        run_sql(conn, sql("profiles.sql"), {"default_rule": rules["default"]})
        n = conn.execute("SELECT count(*) FROM core.run_users").fetchone()[0]
    return {"profiles_rebuilt": n}
