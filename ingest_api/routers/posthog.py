"""PostHog's paths: events (`/e/`, `/i/v0/e/`, `/capture/`, `/batch/`, mapped by `ingest_api.posthog`),
and what its SDKs fetch at start: remote config (`/array/{token}/config` and `config.js`) and feature
flags (`/flags/?v=2`, `/decide/`), answered minimally: no flags, no recordings, surveys or other
features that would load more code; events to `/e/` on this API. The token is the write key.
"""

from __future__ import annotations

import uuid

import orjson
from fastapi import APIRouter, Request, Response

from ingest_api import posthog
from ingest_api.deps import CallerDep, authenticate_key
from ingest_api.routers import json_response
from ingest_api.schemas import ERRORS, SECURITY
from ingest_api.service import ingest, refuse_body

router = APIRouter(tags=["posthog"], responses=ERRORS)

_OK = {"status": 1}


async def capture(caller: CallerDep) -> Response:
    """One PostHog event, a list of them, or `{"api_key", "batch": [...], "sent_at"}`; JSON, gzip
    (header, `?compression=gzip-js` or by its magic bytes) or base64 form (`data=...`)."""
    body = caller.body
    if body.error is not None:
        raise await refuse_body(caller, body.error.reason, str(body.error))
    found = posthog.events_of(body.data)
    if found is None:
        raise await refuse_body(caller, "no_events", "the body has no PostHog event or batch")
    events, sent_at = found
    outcome = await ingest(caller, [posthog.to_segment(ev, sent_at) for ev in events], deterministic_ids=True)
    if not outcome.rejected:
        return json_response(_OK)
    return json_response({**_OK, "rejected": outcome.rejected_answer()})


for _path in ("/e", "/i/v0/e", "/capture", "/track", "/batch"):
    for _slash in ("/", ""):
        router.add_api_route(
            _path + _slash,
            capture,
            methods=["POST"],
            name=f"posthog{_path.replace('/', '_')}{_slash}",
            include_in_schema=_slash == "/",
            openapi_extra={"security": SECURITY},
        )


def remote_config(token: str | None = None) -> dict:
    """PostHog's remote config with every optional feature off (nothing more to load)."""
    return {
        **({"token": token} if token else {}),
        "supportedCompression": ["gzip", "gzip-js"],
        "hasFeatureFlags": False,
        "captureDeadClicks": False,
        "capturePerformance": False,
        "autocapture_opt_out": False,
        "autocaptureExceptions": False,
        "analytics": {"endpoint": "/e/"},
        "elementsChainAsString": True,
        "sessionRecording": False,
        "heatmaps": False,
        "surveys": False,
        "productTours": False,
        "conversations": False,
        "defaultIdentifiedOnly": True,
        "siteApps": [],
        "siteAppsJS": [],
    }


@router.get("/array/{token}/config", tags=["sdk config"], responses={k: ERRORS[k] for k in (401, 403, 429)})
async def config(token: str, request: Request) -> Response:
    await authenticate_key(request, token)
    return json_response(remote_config(token))


@router.get("/array/{token}/config.js", tags=["sdk config"], responses={k: ERRORS[k] for k in (401, 403, 429)})
async def config_js(token: str, request: Request) -> Response:
    await authenticate_key(request, token)
    payload = orjson.dumps({"config": remote_config(token), "siteApps": []}).decode()
    script = (
        "(function(){var w=window;w._POSTHOG_REMOTE_CONFIG=w._POSTHOG_REMOTE_CONFIG||{};"
        f"w._POSTHOG_REMOTE_CONFIG[{orjson.dumps(token).decode()}]={payload};}})();"
    )
    return Response(script, media_type="application/javascript")


async def flags(caller: CallerDep) -> Response:  # noqa: ARG001 - authenticates
    """Feature flags: none (touchline has no flags), with the remote config for `config=true`."""
    return json_response(
        {
            **remote_config(),
            "flags": {},
            "featureFlags": {},
            "featureFlagPayloads": {},
            "errorsWhileComputingFlags": False,
            "quotaLimited": [],
            "requestId": str(uuid.uuid4()),
        }
    )


for _path in ("/flags", "/decide"):
    for _slash in ("/", ""):
        for _method in ("POST", "GET"):
            router.add_api_route(
                _path + _slash,
                flags,
                methods=[_method],
                tags=["sdk config"],
                name=f"posthog{_path.replace('/', '_')}_{_method.lower()}",
                include_in_schema=_slash == "/",
                openapi_extra={"security": SECURITY},
            )
