"""CORS with allowed origins per project (`ops.projects.allowed_origins`; `*` allows any origin).

A preflight carries no key, so it is answered for any origin that some project allows, with every
header it asks for (SDKs add their own: `X-Retry-Count`, `AnonymousId`, `SentAt`, `Rsa-Retry-*`,
`X-Write-Key`, ...). The actual request is then checked against the key's own project (403 otherwise,
see `deps.check_key`). Responses to an allowed origin get `Access-Control-Allow-Origin` (the origin
itself) and `Access-Control-Allow-Credentials: true`: touchline never reads cookies (keys travel in
headers, the body or the query), so credentials are never required, but an SDK that sends them anyway
(`withCredentials`) is not refused by the browser.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest_api.database import DatabaseUnavailable

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Content-Encoding, X-Write-Key"  # when the preflight names none


class ProjectCORSMiddleware:
    """Pure ASGI middleware (no per-request task or body copy)."""

    def __init__(self, app: ASGIApp, max_age: int = 600) -> None:
        self.app = app
        self.max_age = str(max_age)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            return await self.app(scope, receive, send)
        runtime = scope["app"].state.runtime
        try:
            allowed = await runtime.origins.allowed_by_any(origin)
        except DatabaseUnavailable:
            allowed = False
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            return await self._preflight(origin, allowed, headers.get("access-control-request-headers"), send)
        if not allowed:
            return await self.app(scope, receive, send)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-allow-credentials", b"true"),
                    (b"access-control-expose-headers", b"Retry-After"),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)
        return None

    async def _preflight(self, origin: str, allowed: bool, requested: str | None, send: Send) -> None:
        headers = [(b"vary", b"Origin, Access-Control-Request-Headers"), (b"content-length", b"0")]
        if allowed:
            headers += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                (b"access-control-allow-headers", (requested or ALLOW_HEADERS).encode("latin-1")),
                (b"access-control-max-age", self.max_age.encode()),
            ]
        await send({"type": "http.response.start", "status": 204 if allowed else 403, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
