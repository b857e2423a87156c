"""Monthly partitions of raw.events: create ahead, and the optional retention.

The API does both by itself (the writer ensures the month of every write plus three ahead, and applies
`raw_retention_months` when it connects); these functions are for the command line and for tests.
"""

from __future__ import annotations

from datetime import date

import psycopg

from ingest_api.queries import sql
from ingest_api.writer import MONTHS_AHEAD


def ensure_partitions(conn: psycopg.Connection, month: date, months_ahead: int = MONTHS_AHEAD) -> None:
    """Create the partitions of `month` and the `months_ahead` following months if missing."""
    with conn.transaction():
        conn.execute(sql("ensure_partitions"), {"month": month, "months_ahead": months_ahead})


def drop_old_partitions(conn: psycopg.Connection, keep_months: int) -> list[str]:
    """Drop the partitions that end before the first day of the month `keep_months` months ago,
    with their dedup keys and quarantined events; return the partitions dropped."""
    with conn.transaction():
        return [row[0] for row in conn.execute(sql("drop_partitions"), {"keep_months": keep_months})]
