"""The request log: one line per request (method, path, status, milliseconds, key display prefix),
at the setting `TOUCHLINE_REQUEST_LOG=1`, to the `touchline.requests` logger (stderr by default).

Never a key or a body: the query string is left out (RudderStack's beacon puts the key there), and a
key in the path (Segment's settings, PostHog's config) is cut to its display prefix. The prefix is that
of the key the request offered, so a 401 for an unknown or revoked key says which one.
"""

from __future__ import annotations

import logging
import re
import sys
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from touchline.keys import PREFIX_LEN

log = logging.getLogger("touchline.requests")
_KEY_IN_PATH = re.compile(r"(sk_(?:live|test)_[A-Za-z0-9]{4})[A-Za-z0-9:]*")


def redact(path: str) -> str:
    return _KEY_IN_PATH.sub(r"\1…", path)


def enable() -> None:
    """Make the log visible (INFO to stderr) unless logging was configured for it already."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


class RequestLogMiddleware:
    """Pure ASGI middleware: times the request and logs it once the response has started and ended."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        state = scope.setdefault("state", {})
        status = 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            prefix = state.get("key_prefix") or "-"
            log.info(
                "%s %s %d %.1fms key=%s",
                scope["method"],
                redact(scope["path"]),
                status,
                (time.perf_counter() - start) * 1000,
                prefix[:PREFIX_LEN],
            )
