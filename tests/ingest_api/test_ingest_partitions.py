"""Partitions created ahead and the optional retention (raw.drop_event_partitions)."""

from __future__ import annotations

from datetime import date

import pytest

from ingest_api.partitions import drop_old_partitions, ensure_partitions


def partitions(conn) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'raw.events'::regclass"
        )
    }


def test_ensure_is_idempotent(conn):
    ensure_partitions(conn, date(2030, 11, 1), 2)
    ensure_partitions(conn, date(2030, 11, 20), 2)
    assert {"events_2030_11", "events_2030_12", "events_2031_01"} <= partitions(conn)


def test_retention_drops_old_months_only(conn):
    # The session database is shared with other tests: work in 2001, which nobody else uses, by
    # keeping everything from 2001-03 on.
    today = date.today()
    keep = (today.year - 2001) * 12 + today.month - 3
    ensure_partitions(conn, date(2001, 1, 1), 2)
    conn.execute(
        "INSERT INTO raw.events (project_id, message_id, type, received_at, payload)"
        " VALUES ('old', 'm-old', 'track', '2001-01-15T00:00:00Z', '{}')"
    )
    conn.execute("INSERT INTO raw.event_keys VALUES ('old', 'm-old', '2001-01-15T00:00:00Z')")
    conn.execute(
        "INSERT INTO raw.rejected_events (project_id, received_at, reason, payload)"
        " VALUES ('old', '2001-02-15T00:00:00Z', 'missing_ids', '{}')"
    )
    before = partitions(conn)

    dropped = drop_old_partitions(conn, keep)
    assert {"events_2001_01", "events_2001_02"} <= set(dropped)
    assert all(name < "events_2001_03" for name in dropped)
    assert partitions(conn) == before - set(dropped) and "events_2001_03" in partitions(conn)
    assert conn.execute("SELECT count(*) FROM raw.event_keys WHERE project_id = 'old'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM raw.rejected_events WHERE project_id = 'old'").fetchone()[0] == 0
    assert drop_old_partitions(conn, keep) == []


def test_retention_needs_a_positive_number(conn):
    import psycopg

    with pytest.raises(psycopg.errors.RaiseException):
        drop_old_partitions(conn, 0)
