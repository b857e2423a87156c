"""The native batch API: `POST /api/v1/events` with `{"events": [...]}`, mapped onto the Segment shape.

202 with `accepted` and per-event `rejected`; 422 when nothing was accepted; 400 when the body is
not JSON.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from ingest_api.deps import CallerDep
from ingest_api.events import native_to_segment
from ingest_api.routers import json_response
from ingest_api.schemas import ERRORS, NATIVE_BATCH, SECURITY, NativeAnswer, request_body
from ingest_api.service import ingest, refuse_body

router = APIRouter(prefix="/api/v1", tags=["native"])


@router.post(
    "/events",
    status_code=202,
    response_model=NativeAnswer,
    responses={**ERRORS, 422: {"model": NativeAnswer, "description": "No event was accepted"}},
    openapi_extra={**request_body(NATIVE_BATCH), "security": SECURITY},
)
async def events(caller: CallerDep) -> Response:
    """Native events; an event without `event_id` gets a messageId hashed from its content, so a
    retried batch is stored once."""
    body = caller.body
    if body.error is not None:
        raise await refuse_body(caller, body.error.reason, str(body.error))
    data = body.data
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise await refuse_body(caller, "no_events", "the body needs an `events` array")
    messages = [native_to_segment(ev) for ev in data["events"]]
    outcome = await ingest(caller, messages, deterministic_ids=True)
    answer = {"accepted": outcome.accepted, "rejected": outcome.rejected_answer()}
    return json_response(answer, 202 if outcome.accepted else 422)
