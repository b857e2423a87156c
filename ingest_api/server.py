"""`serve(host, port, workers)`: migrate the database, then run the API under uvicorn (blocking).

`touchline api` calls this. The database URL is resolved once here (starting the embedded
PostgreSQL if needed) and handed to the worker processes through `DATABASE_URL`.

Connections are bounded (`GuardedProtocol`, uvicorn's httptools protocol plus what uvicorn lacks): a
connection must complete its request headers within `header_timeout_s` of opening or of its next
request's first byte, and its body within `body_timeout_s` of the headers; an idle keep-alive
connection is closed after `keepalive_timeout_s`; beyond `max_connections` open connections per worker
a new one is closed at once. Slow or stalled clients therefore cannot hold the server.
"""

from __future__ import annotations

import asyncio
import os
from functools import lru_cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from touchline import db, warehouse
from touchline.ports import port_free
from touchline.settings import get_settings


@lru_cache(maxsize=1)
def _bounds() -> tuple[float, float, int]:
    from ingest_api.config import IngestSettings

    s = IngestSettings()
    return s.header_timeout_s, s.body_timeout_s, s.max_connections


class GuardedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a header timeout, a body timeout and a connection limit (the settings
    of `ingest_api.config.IngestSettings`, read once per process)."""

    _guard: asyncio.TimerHandle | None = None
    _in_body = False

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        header_s, _, max_connections = _bounds()
        if len(self.connections) > max_connections:
            transport.close()
            return
        self._arm(header_s)

    def data_received(self, data: bytes) -> None:
        if self._guard is None and not self._in_body:  # the first bytes of a new request
            self._arm(_bounds()[0])
        super().data_received(data)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._in_body = True
        self._arm(_bounds()[1])

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_body = False
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._guard = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _expire(self) -> None:
        self._guard = None
        if not self.transport.is_closing():
            self.transport.close()


def serve(host: str, port: int, workers: int = 1) -> None:
    """Run the ingest API on host:port with `workers` processes until interrupted.

    Raises SystemExit with a one-line message when the port is taken or the database unreachable.
    """
    import uvicorn

    if not port_free(host, port):
        raise SystemExit(f"port {port} on {host} is in use")
    try:
        url = db.data_url()
        with db.connect(url) as conn:
            warehouse.migrate(conn)
    except db.DatabaseUnavailable as exc:
        raise SystemExit(str(exc)) from None
    os.environ["DATABASE_URL"] = url
    os.environ["TOUCHLINE_API_WORKERS"] = str(workers)
    get_settings.cache_clear()
    uvicorn.run("ingest_api.app:create_app", factory=True, host=host, port=port, workers=workers, **uvicorn_options())


def uvicorn_options() -> dict:
    """uvicorn settings of the ingest API (also used by the tests' servers)."""
    from ingest_api.config import IngestSettings

    return {
        "loop": "uvloop",
        "http": GuardedProtocol,
        "lifespan": "on",
        "access_log": False,
        "log_level": "warning",
        "proxy_headers": False,  # X-Forwarded-For is judged by the app against trusted_proxies
        "server_header": False,
        "backlog": 4096,
        "timeout_keep_alive": IngestSettings().keepalive_timeout_s,
        "timeout_graceful_shutdown": 10,
    }
