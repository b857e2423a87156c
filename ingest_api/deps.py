"""The runtime the lifespan builds, and the typed dependencies the routers declare.

`RuntimeDep` (pools, caches, settings) and `CallerDep`: the body read within the size limit and
parsed (413 raised here; a parse error is kept for the route to answer after authentication), the
authenticated key, and what the request captured (receivedAt, client IP, User-Agent).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from ingest_api.auth import (
    CachedSet,
    KeyInfo,
    KeyStore,
    OriginCache,
    RateLimiter,
    key_from_headers,
    key_in_body,
    normalize_key,
    well_formed,
)
from ingest_api.config import IngestSettings
from ingest_api.database import Database
from ingest_api.events import BadBody, BodyTooLarge, Capture, Limits, decode_body, parse_json
from ingest_api.writer import GroupWriter
from touchline.keys import PREFIX_LEN

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class Runtime:
    settings: IngestSettings
    db: Database
    writer: GroupWriter
    keys: KeyStore
    origins: OriginCache
    tracker_paths: CachedSet
    limiter: RateLimiter
    limits: Limits
    trusted_proxies: tuple[Network, ...]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@dataclass(slots=True)
class Body:
    raw: bytes
    data: Any = None
    error: BadBody | None = None

    @property
    def write_key(self) -> str | None:
        key = key_in_body(self.data)
        return normalize_key(key) if key is not None else None


async def read_body(request: Request, rt: Runtime) -> Body:
    """The request body, decompressed and parsed. 413 beyond `max_body_bytes` (checked on
    Content-Length first, then while reading)."""
    limit = rt.limits.max_body_bytes
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return Body(b"")
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise HTTPException(413, f"body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        data = parse_json(
            decode_body(
                raw,
                request.headers.get("content-encoding"),
                limit,
                request.query_params.get("compression"),
                request.headers.get("content-type"),
            )
        )
    except BodyTooLarge:
        raise HTTPException(413, f"body larger than {limit} bytes once decompressed") from None
    except BadBody as exc:
        return Body(raw, error=exc)
    return Body(raw, data)


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request: its key, what was captured, its body, and the runtime."""

    key: KeyInfo
    capture: Capture
    body: Body
    rt: Runtime


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Basic realm="touchline"'})


def client_ip(request: Request, trusted: tuple[Network, ...]) -> str | None:
    """The peer address, or the client X-Forwarded-For names when the peer is a trusted proxy
    (walking the list from the right past trusted proxies)."""
    peer = _ip(request.client.host) if request.client else None
    if peer is None or not _is_trusted(peer, trusted):
        return str(peer) if peer is not None else None
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        ip = _ip(hop.strip())
        if ip is None:
            break
        peer = ip
        if not _is_trusted(ip, trusted):
            break
    return str(peer)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(ip, trusted: tuple[Network, ...]) -> bool:
    return any(ip in net for net in trusted)


async def authenticate(request: Request) -> Caller:
    """Authenticate and read the body: 401 missing/malformed/unknown/revoked key, 403 origin not
    allowed for the key's project, 429 over the key's rate, 413 body too large, 503 when the key
    cannot be looked up. A key in the headers is checked (rate limit included) before the body is
    read; a key inside the body (writeKey) only after reading it, within the size limit.
    One dependency doing both keeps FastAPI's per-request dependency work small (hot path)."""
    rt: Runtime = request.app.state.runtime
    received_at = rt.clock()
    key = key_from_headers(request.headers)
    if key is None:
        query_key = request.query_params.get("writeKey") or request.query_params.get("token")
        key = normalize_key(query_key) if query_key is not None else None
    info = await check_key(request, rt, key) if key is not None else None
    body = await read_body(request, rt)
    if info is None:
        info = await check_key(request, rt, body.write_key)
    capture = Capture(
        info.project_id,
        info.key_prefix,
        received_at,
        client_ip(request, rt.trusted_proxies),
        request.headers.get("user-agent"),
    )
    return Caller(info, capture, body, rt)


async def check_key(request: Request, rt: Runtime, key: str | None) -> KeyInfo:
    """The key's row, or the 401 / 403 / 429 to answer. The request log sees the key's display prefix."""
    if not key:
        raise _unauthorized("missing write key" if key is None else "malformed write key")
    if not well_formed(key):
        raise _unauthorized("malformed write key")
    request.state.key_prefix = key[:PREFIX_LEN]
    info = await rt.keys.resolve(key)
    if info is None:
        raise _unauthorized("unknown write key")
    if info.revoked:
        raise _unauthorized("revoked write key")
    origin = request.headers.get("origin")
    if origin is not None and not info.allows_origin(origin):
        raise HTTPException(403, f"origin {origin} is not allowed for this project")
    wait = rt.limiter.take(info.key_id)
    if wait:
        raise HTTPException(429, "rate limit exceeded for this key", headers={"Retry-After": str(wait)})
    rt.keys.mark_used(info.key_id)
    return info


CallerDep = Annotated[Caller, Depends(authenticate)]


async def authenticate_key(request: Request, key: str | None) -> KeyInfo:
    """For the configuration SDKs fetch at start, whose key is in the path or the query: the key's
    row, or 401 / 403 / 429 as for events."""
    return await check_key(request, request.app.state.runtime, normalize_key(key) if key else key)


def base_url(request: Request) -> str:
    """This API's own URL as the client reached it (`http://host:port`), for answers that point an
    SDK back here."""
    return str(request.base_url).rstrip("/")
