"""The FastAPI application: `create_app(settings)` wires routers, CORS, errors and the lifespan.

The lifespan opens the database side (a reader connection and the group writer, see `database`
and `writer`), creates the partitions of the current month and the next ones, applies the optional
retention, and records key use in the background. Nothing here blocks when the database is down:
the app starts and answers 503 until it is back.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from ingest_api.auth import CachedSet, KeyStore, OriginCache, RateLimiter
from ingest_api.config import IngestSettings, ingest_settings
from ingest_api.cors import ProjectCORSMiddleware
from ingest_api.database import Database, DatabaseUnavailable
from ingest_api.deps import Runtime
from ingest_api.events import Limits
from ingest_api.request_log import RequestLogMiddleware
from ingest_api.request_log import enable as enable_request_log
from ingest_api.routers import jitsu, json_response, meta, native, posthog, rudderstack, segment, tracker
from ingest_api.schemas import SECURITY_SCHEMES
from ingest_api.writer import GroupWriter
from touchline.db import data_url, libpq_url
from touchline.settings import Settings

log = logging.getLogger(__name__)


def build_runtime(settings: IngestSettings, url: str) -> Runtime:
    db = Database(url, settings.db_timeout_s, settings.reconnect_interval_s)
    workers = max(1, settings.api_workers)
    return Runtime(
        settings=settings,
        db=db,
        writer=GroupWriter(
            db.url,
            timeout=settings.commit_timeout_s,
            retry_interval=settings.reconnect_interval_s,
            max_events=settings.group_max_events,
            retention_months=settings.raw_retention_months,
        ),
        keys=KeyStore(db, settings.key_cache_ttl_s),
        origins=OriginCache(db, settings.key_cache_ttl_s),
        tracker_paths=CachedSet(db, "tracker_paths", settings.key_cache_ttl_s),
        limiter=RateLimiter(settings.rate_per_second / workers, settings.rate_burst / workers),
        limits=Limits(settings.max_body_bytes, settings.max_event_bytes, settings.max_depth, settings.max_batch_items),
        trusted_proxies=tuple(ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies),
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: IngestSettings = app.state.settings
    url = libpq_url(settings.database_url) if settings.database_url else await asyncio.to_thread(data_url, settings)
    rt = app.state.runtime = build_runtime(settings, url)
    await rt.writer.warm_up()
    rt.writer.start()
    # Each request allocates many small dicts; the default young-generation threshold (700) makes the
    # cyclic GC run every few events. Freeze what startup allocated and collect less often.
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    stopping = asyncio.Event()
    flusher = asyncio.create_task(rt.keys.flush_forever(settings.last_used_interval_s, stopping))
    try:
        yield
    finally:
        stopping.set()
        await flusher
        await rt.writer.stop()
        await rt.keys.flush_used()
        await rt.db.close()


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404 and request.method in ("GET", "HEAD"):
        renamed = await tracker.renamed_tracker(request)
        if renamed is not None:
            return renamed
    response = json_response({"detail": exc.detail}, exc.status_code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unavailable(request: Request, exc: DatabaseUnavailable) -> Response:
    log.warning("503: %s", exc)  # the detail stays in the log; the client learns no more than this
    response = json_response({"detail": "storage unavailable"}, 503)
    response.headers["Retry-After"] = "1"
    return response


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ingest API. `settings` default to the environment (`IngestSettings()`)."""
    app = FastAPI(
        title="touchline ingest API",
        version="1",
        summary="Segment-compatible and native event collection into PostgreSQL",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},  # per-request cost, no use here
    )
    app.state.settings = ingest_settings(settings)
    app.include_router(segment.router)
    app.include_router(native.router)
    app.include_router(meta.router)
    app.include_router(rudderstack.router)
    app.include_router(jitsu.router)
    app.include_router(posthog.router)
    app.include_router(tracker.router)
    app.add_middleware(ProjectCORSMiddleware, max_age=app.state.settings.cors_max_age_s)
    if app.state.settings.request_log:  # outermost: it sees the status CORS and errors answer
        enable_request_log()
        app.add_middleware(RequestLogMiddleware)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DatabaseUnavailable, _unavailable)

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
