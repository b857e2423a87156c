"""Shared helpers of the pipeline tests: a clean warehouse, raw rows, one core run, table snapshots."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import psycopg

from ingest_api.rows import RAW_EVENT_COLUMNS
from orchestration.core import build
from orchestration.enrichment import lookups

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
RAW_COLS = ", ".join(RAW_EVENT_COLUMNS)
SNAPSHOT_TABLES = {
    "core.events": "project_id, message_id",
    "core.sessions": "project_id, session_id",
    "core.identity_edges": "project_id, kind, from_id, to_user_id",
    "core.user_aliases": "project_id, user_id",
    "core.identity_map": "project_id, device_id, valid_from",
    "core.identity_merge_log": "project_id, id_kind, id_value, merged_at, to_user_key",
    "core.user_profiles": "project_id, user_key",
    "core.quarantined_events": "project_id, message_id",
    "core.data_quality_daily": "project_id, day, metric, detail",
}


def reset(conn: psycopg.Connection) -> None:
    conn.execute(
        "TRUNCATE raw.events, raw.event_keys, core.geo_lookup, core.device_lookup, ops.profile_set_once_snapshot"
    )
    build.full_refresh(conn)
    conn.execute("SELECT raw.ensure_event_partitions('2026-09-01', 4)")


def event(
    mid,
    typ,
    minutes,
    anon=None,
    user=None,
    url="https://shop.example/",
    ref=None,
    name=None,
    prev=None,
    traits=None,
    ua=CHROME,
    ip="81.2.69.160",
    received_delay_min=0.0,
    skew_min=0.0,
    project="p",
):
    """A raw.events row; skew_min shifts the client clock (timestamp and sentAt alike)."""
    true_at = T0 + dt.timedelta(minutes=minutes)
    received = true_at + dt.timedelta(minutes=received_delay_min, seconds=0.05)
    skew = dt.timedelta(minutes=skew_min)
    payload = {
        "messageId": mid,
        "type": typ,
        "anonymousId": anon,
        "userId": user,
        "event": name,
        "previousId": prev,
        "traits": traits,
        "context": {"page": {"url": url, "referrer": ref}},
    }
    return (
        project,
        mid,
        typ,
        name,
        anon,
        user,
        prev,
        true_at + skew,
        received - dt.timedelta(seconds=0.05) + skew,
        received,
        ip,
        ua,
        "k",
        json.dumps(payload),
    )


def insert_raw(conn: psycopg.Connection, rows) -> None:
    with conn.cursor().copy(f"COPY raw.events ({RAW_COLS}) FROM STDIN") as cp:
        for r in rows:
            cp.write_row(r)


def run_core(conn: psycopg.Connection) -> dict:
    stats = build.stage_batch(conn)
    lookups.refresh_geo(conn)
    lookups.refresh_devices(conn)
    stats.update(build.build_core(conn))
    stats.update(build.build_profiles(conn))
    return stats


def snapshot(conn: psycopg.Connection) -> dict[str, str]:
    """A digest of every core table, rows in key order (so equal digests mean equal tables)."""
    out = {}
    for table, key in SNAPSHOT_TABLES.items():
        rows = conn.execute(f"SELECT t::text FROM {table} t ORDER BY {key}").fetchall()
        out[table] = f"{len(rows)}:" + hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()
    return out
