"""`serve(host, port, workers)`: migrate the database, then run the API under uvicorn (blocking).

`touchline api` calls this. The database URL is resolved once here (starting the embedded
PostgreSQL if needed) and handed to the worker processes through `DATABASE_URL`.
"""
from __future__ import annotations

import os
import socket

from touchline import db, warehouse
from touchline.settings import get_settings


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


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
    uvicorn.run(
        "ingest_api.app:create_app", factory=True, host=host, port=port, workers=workers,
        loop="uvloop", http="httptools", lifespan="on", access_log=False, log_level="warning",
        proxy_headers=False,  # X-Forwarded-For is judged by the app against trusted_proxies
        server_header=False, backlog=4096, timeout_keep_alive=30,
    )
