"""What RudderStack's SDKs call besides Segment's `/v1/*` (which they share): the source configuration
the JavaScript SDK v3 fetches at start from its `configUrl` (`GET /sourceConfig/?writeKey=...`, key also
as Basic auth), and its beacon (`POST /beacon/v1/batch?writeKey=...`, a `text/plain` batch).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from ingest_api.auth import key_from_headers
from ingest_api.deps import CallerDep, authenticate_key
from ingest_api.routers import json_response
from ingest_api.routers.segment import batch
from ingest_api.schemas import ERRORS, SECURITY, SEGMENT_BATCH, SegmentAnswer, request_body

router = APIRouter(tags=["rudderstack"], responses=ERRORS)


@router.post(
    "/beacon/v1/batch",
    response_model=SegmentAnswer,
    openapi_extra={**request_body(SEGMENT_BATCH), "security": SECURITY},
)
async def beacon(caller: CallerDep) -> Response:
    """A batch sent with `navigator.sendBeacon` (key in the `writeKey` query parameter)."""
    return await batch(caller)


async def source_config(request: Request) -> Response:
    """The minimal valid source configuration: the source enabled, no device-mode destination, the
    SDK's own error and metrics reporting off. Events then go to the `dataPlaneUrl` the page gives."""
    key = key_from_headers(request.headers)
    if key is None:
        key = request.query_params.get("writeKey")
    info = await authenticate_key(request, key)
    return json_response(
        {
            "isHosted": False,
            "source": {
                "id": info.project_id,
                "name": info.project_id,
                "writeKey": key,
                "workspaceId": "touchline",
                "enabled": True,
                "destinations": [],
                "config": {"statsCollection": {"errors": {"enabled": False}, "metrics": {"enabled": False}}},
            },
            "updatedAt": datetime.now(UTC).isoformat(),
        }
    )


for _path in ("/sourceConfig", "/sourceConfig/"):
    router.add_api_route(
        _path,
        source_config,
        methods=["GET"],
        tags=["sdk config"],
        include_in_schema=_path.endswith("/"),
        responses={k: ERRORS[k] for k in (401, 403, 429)},
    )
