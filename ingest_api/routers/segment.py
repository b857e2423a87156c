"""Segment's HTTP tracking API: `/v1/batch` and the single-message `/v1/<type>` endpoints.

200 `{"success": true}` once stored (with `rejected` listing refused events, which are quarantined);
400 only when nothing could be read.
"""
from __future__ import annotations

from fastapi import APIRouter, Response

from ingest_api.deps import CallerDep
from ingest_api.events import TYPES
from ingest_api.routers import json_response
from ingest_api.schemas import ERRORS, SECURITY, SEGMENT_BATCH, SEGMENT_MESSAGE, SegmentAnswer, request_body
from ingest_api.service import Outcome, ingest, refuse_body

router = APIRouter(prefix="/v1", tags=["segment"], responses=ERRORS)

_DEFAULTS = ("context", "integrations", "sentAt")


def _answer(outcome: Outcome) -> Response:
    if not outcome.rejected:
        return json_response({"success": True})
    return json_response({"success": True, "rejected": outcome.rejected_answer()})


@router.post("/batch", response_model=SegmentAnswer, openapi_extra={**request_body(SEGMENT_BATCH), "security": SECURITY})
async def batch(caller: CallerDep) -> Response:
    """A batch of messages of any type (what the server-side SDKs send)."""
    body = caller.body
    if body.error is not None:
        raise await refuse_body(caller, body.error.reason, str(body.error))
    data = body.data
    if isinstance(data, list):
        data = {"batch": data}
    if not isinstance(data, dict) or not isinstance(data.get("batch"), list):
        raise await refuse_body(caller, "no_events", "the body needs a `batch` array of messages")
    defaults = {k: data[k] for k in _DEFAULTS if data.get(k) is not None} or None
    return _answer(await ingest(caller, data["batch"], defaults=defaults))


def _single(kind: str):
    async def endpoint(caller: CallerDep) -> Response:
        body = caller.body
        if body.error is not None:
            raise await refuse_body(caller, body.error.reason, str(body.error))
        if not isinstance(body.data, dict):
            raise await refuse_body(caller, "no_events", "the body must be a JSON object")
        return _answer(await ingest(caller, [body.data], forced_type=kind))

    endpoint.__name__ = kind
    endpoint.__doc__ = f"One `{kind}` message (the type is set from the path)."
    return endpoint


for _kind in sorted(TYPES):
    router.add_api_route(
        f"/{_kind}", _single(_kind), methods=["POST"], response_model=SegmentAnswer,
        openapi_extra={**request_body(SEGMENT_MESSAGE), "security": SECURITY},
    )
