"""ingest_api/rows.py is the one definition of the rows ingest writes: it must match the tables."""

from __future__ import annotations

from ingest_api.queries import sql
from ingest_api.rows import JSON_FIELDS, RAW_EVENT_COLUMNS, REJECTED_EVENT_COLUMNS, RawEvent, first_copies


def columns(conn, table: str) -> list[str]:
    schema, name = table.split(".")
    return [
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s"
            " ORDER BY ordinal_position",
            (schema, name),
        )
    ]


def test_raw_event_fields_are_the_columns_of_raw_events_in_order(conn):
    # write_small_group.sql casts a row of the fields, by position, to raw.events
    assert list(RAW_EVENT_COLUMNS) == columns(conn, "raw.events")
    assert set(REJECTED_EVENT_COLUMNS) < set(columns(conn, "raw.rejected_events"))
    # the small-group write sends the last field, and only it, as JSON (ingest_api/writer.py)
    assert [c for c in RAW_EVENT_COLUMNS if c in JSON_FIELDS] == [RAW_EVENT_COLUMNS[-1]]
    assert "{" not in "".join(sql(name) for name in ("copy_events", "copy_rejected", "write_small_group"))


def test_first_copies_keeps_the_earliest_copy_of_each_message_in_order():
    def row(project, message, received):
        return RawEvent(project, message, "track", "e", "a", None, None, None, None, received, None, None, None, "{}")

    rows = [row("p", "m1", "t1"), row("p", "m2", "t2"), row("p", "m1", "t3"), row("q", "m1", "t4")]
    assert first_copies(rows) == [rows[0], rows[1], rows[3]]
