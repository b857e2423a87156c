"""Segment's HTTP tracking API: `/v1/batch` and the single-message `/v1/<type>` endpoints, the short
paths analytics.js 2.0 calls (`/v1/t|p|i|a|g|s` one message, `/v1/b` a batch, `/v1/m` its metrics),
`/v1/import` (analytics-java), and the settings analytics.js fetches at start
(`GET /v1/projects/{writeKey}/settings`, served by `routers.sdk_config`).

200 `{"success": true}` once stored (with `rejected` listing refused events, which are quarantined);
400 only when nothing could be read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from ingest_api.deps import CallerDep, authenticate_key, base_url
from ingest_api.events import TYPES
from ingest_api.routers import json_response
from ingest_api.schemas import ERRORS, SECURITY, SEGMENT_BATCH, SEGMENT_MESSAGE, SegmentAnswer, request_body
from ingest_api.service import Outcome, ingest, ingest_message, refuse_body

router = APIRouter(prefix="/v1", tags=["segment"], responses=ERRORS)

_DEFAULTS = ("context", "integrations", "sentAt")
# analytics.js 2.0 posts each message to the first letter of its type.
SHORT = {"t": "track", "p": "page", "i": "identify", "a": "alias", "g": "group", "s": "screen"}


def _answer(outcome: Outcome) -> Response:
    if not outcome.rejected:
        return json_response({"success": True})
    return json_response({"success": True, "rejected": outcome.rejected_answer()})


async def batch(caller: CallerDep) -> Response:
    """A batch of messages of any type (what the server-side SDKs send; `/v1/b` from analytics.js
    with batching)."""
    return await _batch(caller, is_import=False)


async def import_batch(caller: CallerDep) -> Response:
    """A batch sent to `/v1/import` (analytics-java): its messages are marked `context.touchline.import =
    true`, so they keep event times older than the project's `max_event_age_days`."""
    return await _batch(caller, is_import=True)


async def _batch(caller, is_import: bool) -> Response:
    body = caller.body
    if body.error is not None:
        raise await refuse_body(caller, body.error.reason, str(body.error))
    data = body.data
    if isinstance(data, list):
        data = {"batch": data}
    if not isinstance(data, dict) or not isinstance(data.get("batch"), list):
        raise await refuse_body(caller, "no_events", "the body needs a `batch` array of messages")
    defaults = {k: data[k] for k in _DEFAULTS if data.get(k) is not None} or None
    if is_import:
        _mark_import(data["batch"], defaults)
    return _answer(await ingest(caller, data["batch"], defaults=defaults))


def _mark_import(messages: list, defaults: dict | None) -> None:
    """`context.touchline.import = true` on every message of an import (read by the core build's event-time rule)."""
    shared = defaults.get("context") if defaults else None
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        context = msg.get("context")
        if not isinstance(context, dict):
            context = msg["context"] = dict(shared) if isinstance(shared, dict) else {}
        touchline = context.get("touchline")
        context["touchline"] = {**touchline, "import": True} if isinstance(touchline, dict) else {"import": True}


for _path, _endpoint in (("/batch", batch), ("/b", batch), ("/import", import_batch)):
    router.add_api_route(
        _path,
        _endpoint,
        methods=["POST"],
        response_model=SegmentAnswer,
        name=f"batch{_path[1:]}",
        openapi_extra={**request_body(SEGMENT_BATCH), "security": SECURITY},
    )


def _single(kind: str):
    async def endpoint(caller: CallerDep) -> Response:
        return _answer(await ingest_message(caller, kind))

    endpoint.__name__ = kind
    endpoint.__doc__ = f"One `{kind}` message (the type is set from the path)."
    return endpoint


for _kind in sorted(TYPES):
    router.add_api_route(
        f"/{_kind}",
        _single(_kind),
        methods=["POST"],
        response_model=SegmentAnswer,
        openapi_extra={**request_body(SEGMENT_MESSAGE), "security": SECURITY},
    )
for _letter, _kind in sorted(SHORT.items()):
    router.add_api_route(
        f"/{_letter}",
        _single(_kind),
        methods=["POST"],
        response_model=SegmentAnswer,
        name=f"{_kind}_short",
        openapi_extra={**request_body(SEGMENT_MESSAGE), "security": SECURITY},
    )


@router.post("/m", status_code=200, responses={200: {"description": "Accepted and dropped"}})
async def metrics() -> Response:
    """analytics.js's own delivery metrics (no key, no events): answered 200 and dropped."""
    return json_response({"success": True})


@router.get("/projects/{write_key}/settings", tags=["sdk config"], responses={k: ERRORS[k] for k in (401, 403, 429)})
async def settings(write_key: str, request: Request) -> Response:
    """The CDN settings analytics.js 2.0 loads at start (`{cdnURL}/v1/projects/{writeKey}/settings`):
    the minimal valid answer, delivering to this API (`apiHost` is where the request came to) with no
    other destination, and the SDK's own metrics off."""
    await authenticate_key(request, write_key)
    url = urlsplit(base_url(request))
    api_host = f"{url.netloc}{url.path}/v1"
    return json_response(
        {
            "integrations": {
                "Segment.io": {
                    "apiKey": write_key,
                    "apiHost": api_host,
                    "protocol": url.scheme,
                    "unbundledIntegrations": [],
                    "addBundledMetadata": True,
                    "maybeBundledConfigIds": {},
                }
            },
            "plan": {
                "track": {"__default": {"enabled": True, "integrations": {}}},
                "identify": {"__default": {"enabled": True}},
                "group": {"__default": {"enabled": True}},
            },
            "edgeFunction": {},
            "analyticsNextEnabled": True,
            "middlewareSettings": {},
            "enabledMiddleware": {},
            "metrics": {"sampleRate": 0, "host": api_host},
            "legacyVideoPluginsEnabled": False,
            "remotePlugins": [],
            "consentSettings": {"allCategories": [], "hasUnmappedDestinations": False},
        }
    )
