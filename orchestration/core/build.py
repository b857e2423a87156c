"""The core build, as plain functions on a psycopg connection (the Dagster assets call them).

One run: stage the new raw events (`stage_batch`), look up distinct IPs and user agents
(`refresh_geo`, `refresh_devices` of enrichment/lookups.py), then `build_core` runs the declared steps of
`CORE_BUILD_STEPS` in one transaction: every device the batch touches is recomputed from the segment its
earliest new event falls in (its whole history when a new identification or an alias can re-stitch the
past: see sql/collect_devices.sql), rewriting only the rows that change; its last steps write the change
log the dbt marts follow (sql/change_log.sql) and move the watermark; `build_profiles` rebuilds the users
involved. A full refresh stages all of raw and runs the same code after emptying core inside the build's
own transaction (readers see the old core or the new one, never an empty one), so incremental runs equal
a full rebuild by construction (tests/orchestration/test_core_accuracy.py).

Each SQL step opens with a header: `-- step NAME`, then `-- reads:`, `-- writes:` (tables of migrations),
`-- creates:` (temp tables for later steps) and `-- params:` (bound as %(name)s). A test checks that every
step reads only what a migration or an earlier step provides (tests/orchestration/test_core_steps.py).
`{{name}}` in a step is a SQL fragment compiled from configuration (enrichment/traffic.py), not a value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import psycopg

from orchestration.enrichment import traffic
from orchestration.identity import aliases, rules

SQL_DIR = Path(__file__).with_name("sql")
WATERMARK = "core.events"
# A transaction of the ingest API may commit after a later one: look back this far past the watermark.
SAFETY_MARGIN = timedelta(hours=1)

# SQL fragments compiled from configuration, written {{name}} in a step
FRAGMENTS: dict[str, Callable[[], str]] = {
    "referrer_class": traffic.referrer_class_sql,
    "source_class": traffic.source_class_sql,
    "channel": traffic.channel_sql,
    "campaign_parameters": traffic.campaign_parameters_sql,
    "click_key": traffic.click_key_sql,
}


@cache
def sql(name: str) -> str:
    text = (SQL_DIR / name).read_text()
    for fragment, compile_sql in FRAGMENTS.items():
        if "{{" + fragment + "}}" in text:
            text = text.replace("{{" + fragment + "}}", compile_sql())
    if "{{" in text:
        raise ValueError(f"{name}: unknown fragment {text[text.index('{{') :].split('}}')[0]}}}}}")
    return text


def run_sql(conn: psycopg.Connection, text: str, params: dict | None = None) -> None:
    """Run a multi-statement script; parameters are bound client-side (psycopg.ClientCursor)."""
    with psycopg.ClientCursor(conn) as cur:
        cur.execute(text, params)


def query(conn: psycopg.Connection, name: str, params: dict | None = None):
    with psycopg.ClientCursor(conn) as cur:
        return cur.execute(sql(name), params).fetchall()


@dataclass(frozen=True)
class Step:
    """One step of the core build: a SQL file of sql/ (its header declares what it reads and creates), or
    a Python function of a domain package with the same declarations."""

    name: str
    params: tuple[str, ...] = ()
    run: Callable[[psycopg.Connection], object] | None = None  # a Python step
    reads: tuple[str, ...] = ()  # declarations of a Python step
    writes: tuple[str, ...] = ()
    creates: tuple[str, ...] = ()
    bulk_table: str | None = None  # drop and rebuild this table's indexes when it starts empty

    @property
    def file(self) -> str:
        return f"{self.name}.sql"


CORE_BUILD_STEPS: tuple[Step, ...] = (
    Step("enrich_batch"),
    Step("identity_edges"),
    Step(
        "resolve_aliases",
        run=aliases.write_closure,
        reads=("core.identity_edges", "core.user_aliases"),
        writes=("core.user_aliases", "core.identity_merge_log"),
        creates=("changed_user_ids",),
    ),
    Step("collect_devices"),
    Step("sessionize"),
    Step("write_events", bulk_table="core.events"),
    Step("write_sessions"),
    Step("attach_server_events"),
    Step("record_quality", params=("watermark",)),
    Step("change_log", params=("watermark",)),
    Step("finish_run", params=("watermark",)),
)


@contextmanager
def timed(timings: dict, step: str):
    t = time.perf_counter()
    yield
    timings[step] = round(time.perf_counter() - t, 2)


def full_refresh(conn: psycopg.Connection) -> None:
    """Empty core (profiles included) and forget the watermark, in a transaction of its own: the next run
    stages all of raw. The assets do not use it: a full refresh run replaces core in one transaction
    (`stage_batch(full_refresh=True)`, `build_core(full_refresh=True)`)."""
    with conn.transaction():
        run_sql(conn, sql("empty_core.sql"), {"watermark": WATERMARK})
        conn.execute("TRUNCATE core.user_profiles")


def stage_batch(conn: psycopg.Connection, full_refresh: bool = False) -> dict:
    """Stage the new raw events in core.raw_batch; `full_refresh`: all of raw, whatever core holds."""
    with conn.transaction():
        row = query(conn, "read_watermark.sql", {"watermark": WATERMARK})
        since = (
            (row[0][0] - SAFETY_MARGIN) if row and row[0][0] and not full_refresh else datetime(1970, 1, 1).astimezone()
        )
        run_sql(conn, sql("stage_batch.sql"), {"since": since, "full_refresh": full_refresh})
        n, quarantined, max_received = query(conn, "batch_summary.sql")[0]
    return {
        "rows": n,
        "quarantined": quarantined,
        "since": since.isoformat(),
        "max_received_at": max_received.isoformat() if max_received else None,
    }


@contextmanager
def _bulk_indexes(conn: psycopg.Connection, table: str | None, bulk: bool):
    """On a bulk load (core empty: first run or full refresh), drop the table's indexes and unique
    constraints and rebuild them at the end, in the same transaction: building an index once is several
    times faster than inserting a million rows into it. The table stays locked until commit, and its
    definitions come from the catalog, so migrations stay the one place that declares them."""
    if not bulk:
        yield
        return
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('p', 'u')",
        (table,),
    ).fetchall()
    for name, _ in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass",
        (table,),
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    yield
    for name, definition in constraints:
        conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        conn.execute(definition)
    conn.execute(f"ANALYZE {table}")  # the next run plans against the loaded table, not an empty one


def _is_empty(conn: psycopg.Connection, table: str) -> bool:
    return not conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]


def run_step(conn: psycopg.Connection, step: Step, params: dict):
    if step.run is not None:
        return step.run(conn)
    bulk = step.bulk_table is not None and _is_empty(conn, step.bulk_table)
    with _bulk_indexes(conn, step.bulk_table, bulk):
        run_sql(conn, sql(step.file), {k: params[k] for k in step.params} or None)
    return None


def build_core(conn: psycopg.Connection, full_refresh: bool = False) -> dict:
    """Events, sessions, identity for every device the staged batch touches, in one transaction.
    `full_refresh` (the batch is all of raw): core, but for the profiles, is emptied first, in the same
    transaction."""
    timings: dict[str, float] = {}
    params = {"watermark": WATERMARK}
    results = {}
    with conn.transaction():
        if full_refresh:
            run_sql(conn, sql("empty_core.sql"), params)
        # Index reads of device histories cost about what sequential ones do (SSD, mostly cached):
        # without this the planner scans all of core.events for a day's few thousand devices.
        conn.execute("SET LOCAL random_page_cost = 1.1")
        for step in CORE_BUILD_STEPS:
            with timed(timings, step.name):
                results[step.name] = run_step(conn, step, params)
        stats = dict(
            zip(
                (
                    "new_events",
                    "devices_recomputed",
                    "held_events_rewritten",
                    "users_touched",
                    "held_events_read",
                    "devices_read_from_cut",
                ),
                query(conn, "run_stats.sql")[0],
            )
        )
    stats["events_rewritten"] = stats["new_events"] + stats.pop("held_events_rewritten")
    stats["alias_changes"] = len(results["resolve_aliases"])
    stats["seconds"] = timings
    return stats


def build_profiles(conn: psycopg.Connection, full_refresh: bool = False) -> dict:
    """Profiles of the users the build touched; `full_refresh`: all profiles replaced in one transaction."""
    profile_rules = rules.profile_rules()
    with conn.transaction():
        if full_refresh:
            conn.execute("TRUNCATE core.user_profiles")
        run_sql(conn, sql("profile_rules.sql"))
        with conn.cursor().copy("COPY profile_rules (key, rule) FROM STDIN") as cp:
            for k, r in profile_rules["traits"].items():
                cp.write_row((k, r))
        run_sql(conn, sql("build_profiles.sql"), {"default_rule": profile_rules["default"]})
        n = query(conn, "count_run_users.sql")[0][0]
    return {"profiles_rebuilt": n}
