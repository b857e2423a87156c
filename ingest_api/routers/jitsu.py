"""Jitsu's ingest paths: `POST /api/s/{type}` (browser) and `/api/s/s2s/{type}` (server to server), one
Segment-shaped message each, key in `X-Write-Key` (Jitsu's `key:secret` form, see `auth.normalize_key`).
Jitsu's SDK reads a JSON answer: `{"ok": true}` (with `rejected` when the event was quarantined); errors
are JSON too (`{"detail": ...}`).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from ingest_api.deps import CallerDep
from ingest_api.events import TYPES
from ingest_api.routers import json_response
from ingest_api.schemas import ERRORS, SECURITY, SEGMENT_MESSAGE, request_body
from ingest_api.service import ingest_message

router = APIRouter(prefix="/api/s", tags=["jitsu"], responses=ERRORS)


def _endpoint(kind: str):
    async def endpoint(caller: CallerDep) -> Response:
        outcome = await ingest_message(caller, kind)
        answer = {"ok": True}
        if outcome.rejected:
            answer["rejected"] = outcome.rejected_answer()
        return json_response(answer)

    endpoint.__name__ = f"jitsu_{kind}"
    endpoint.__doc__ = f"One `{kind}` event from a Jitsu SDK."
    return endpoint


for _kind in sorted(TYPES):
    for _prefix in ("", "/s2s"):
        router.add_api_route(
            f"{_prefix}/{_kind}",
            _endpoint(_kind),
            methods=["POST"],
            name=f"jitsu{_prefix[1:]}_{_kind}",
            openapi_extra={**request_body(SEGMENT_MESSAGE), "security": SECURITY},
        )
