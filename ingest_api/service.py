"""What every ingest route does once the caller is known: validate, hand to the group writer, wait
for the commit, and say which events were rejected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException

from ingest_api.deps import Caller
from ingest_api.events import MAX_LISTED_REJECTIONS, REASONS, Prepared, Rejection, prepare, raw_text
from ingest_api.rows import RejectedEvent
from ingest_api.writer import month_of


@dataclass(slots=True)
class Outcome:
    accepted: int
    rejected: list[Rejection]

    def rejected_answer(self) -> list[dict[str, Any]]:
        """The first MAX_LISTED_REJECTIONS rejections by index (every one is quarantined)."""
        return [r.answer() for r in sorted(self.rejected, key=lambda r: r.index)[:MAX_LISTED_REJECTIONS]]


async def ingest(caller: Caller, messages: list[Any], **options: Any) -> Outcome:
    """Store `messages` (Segment-shaped); return how many were accepted and the rejections.
    Options go to `events.prepare`. Raises DatabaseUnavailable (503) when not committed."""
    cap, rt = caller.capture, caller.rt
    if len(messages) > rt.limits.max_batch_items:  # stored as one quarantine row, answered 413
        raise await refuse_body(
            caller,
            "too_many_events",
            f"{REASONS['too_many_events']} ({len(messages)} > {rt.limits.max_batch_items}): send smaller batches",
            status=413,
        )
    prepared: Prepared = prepare(messages, cap, rt.limits, **options)
    if not prepared.rows and not prepared.rejected:
        return Outcome(0, [])
    received = cap.received_iso
    quarantine = [
        RejectedEvent(cap.project_id, received, r.reason, cap.key_prefix, r.payload) for r in prepared.rejected
    ]
    refused = await rt.writer.write(prepared.rows, quarantine, month_of(cap.received_at))
    rejected = prepared.rejected
    for position in refused:
        row = prepared.rows[position]
        rejected.append(Rejection(prepared.row_index[position], row.message_id, "database_rejected", row.payload))
    return Outcome(len(prepared.rows) - len(refused), rejected)


async def ingest_message(caller: Caller, kind: str) -> Outcome:
    """The body's one message, its type set from the path (Segment's `/v1/<type>`, Jitsu's `/api/s/<type>`);
    400 (quarantined) when the body is unreadable or not an object."""
    body = caller.body
    if body.error is not None:
        raise await refuse_body(caller, body.error.reason, str(body.error))
    if not isinstance(body.data, dict):
        raise await refuse_body(caller, "no_events", "the body must be a JSON object")
    return await ingest(caller, [body.data], forced_type=kind)


async def refuse_body(caller: Caller, reason: str, detail: str, status: int = 400) -> HTTPException:
    """Quarantine a body with no events to read (not JSON, or no batch where it belongs, or too many
    events) as one row, and return the 400 (or `status`) to raise. Write keys are redacted by the writer."""
    cap = caller.capture
    row = RejectedEvent(cap.project_id, cap.received_iso, reason, cap.key_prefix, raw_text(caller.body.raw))
    await caller.rt.writer.write([], [row], month_of(cap.received_at))
    return HTTPException(status, detail)
