"""The rows ingest writes: one `RawEvent` per stored event, one `RejectedEvent` per quarantined item.

These two classes are the one definition of the columns ingest writes: `RAW_EVENT_COLUMNS` and
`REJECTED_EVENT_COLUMNS` are their field names, in the column order of `raw.events` (all its columns; a
test compares them with the table) and the written columns of `raw.rejected_events`
(ingest_api/migrations/0001_ops_raw.sql). The SQL of `queries/` receives its column lists from them
(`{{raw_event_columns}}`, `{{rejected_event_columns}}`, and `{{raw_event_fields}}`, the fields of a RawEvent sent
as a JSON array: see `queries/__init__.py`). Times are ISO 8601 text; `payload`, the one JSON field, is
the event's JSON text and stays last.
"""

from __future__ import annotations

from typing import NamedTuple


class RawEvent(NamedTuple):
    project_id: str
    message_id: str
    type: str
    event: str | None
    anonymous_id: str | None
    user_id: str | None
    previous_id: str | None
    event_timestamp: str | None  # `timestamp` (or originalTimestamp) as the client sent it
    sent_at: str | None
    received_at: str
    ip: str | None
    user_agent: str | None
    key_prefix: str | None
    payload: str  # the message as stored, JSON text


class RejectedEvent(NamedTuple):
    project_id: str | None
    received_at: str
    reason: str  # a code of events.REASONS
    key_prefix: str | None
    payload: str  # what was received, as text


RAW_EVENT_COLUMNS: tuple[str, ...] = RawEvent._fields
REJECTED_EVENT_COLUMNS: tuple[str, ...] = RejectedEvent._fields
JSON_FIELDS = frozenset({"payload"})  # values that are JSON text: sent as JSON, not as a JSON string


def first_copies(rows: list[RawEvent]) -> list[RawEvent]:
    """Deduplication within a write: one row per (project_id, message_id), the first of `rows` (the earliest
    received copy), in the order of `rows`. Across writes `raw.event_keys` decides (`queries/claim_keys.sql`)."""
    first: dict[tuple[str, str], RawEvent] = {}
    for row in rows:
        first.setdefault((row.project_id, row.message_id), row)
    return list(first.values())
