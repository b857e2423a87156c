"""Idle, half-sent and stalled connections are closed; connections beyond the limit are refused."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from ingest_helpers import basic, free_port

from ingest_api import server as ingest_server
from ingest_api.app import create_app

BOUNDS = (0.5, 0.8, 6)  # header timeout, body timeout, connections per worker


@pytest.fixture
def guarded(settings, monkeypatch):
    """A real uvicorn with the API's protocol and short bounds; yields its port."""
    monkeypatch.setattr(ingest_server, "_bounds", lambda: BOUNDS)
    options = {**ingest_server.uvicorn_options(), "loop": "asyncio", "timeout_keep_alive": 1}
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.02)
    yield port
    srv.should_exit = True
    thread.join(15)


def closed_after(sock: socket.socket, limit: float) -> float:
    """Seconds until the server closes `sock` (reads until EOF)."""
    sock.settimeout(limit)
    t = time.monotonic()
    while sock.recv(4096):
        pass
    return time.monotonic() - t


def test_an_idle_connection_is_closed_after_the_header_timeout(guarded):
    with socket.create_connection(("127.0.0.1", guarded)) as s:
        assert 0.3 < closed_after(s, 5) < 2


def test_half_sent_headers_are_closed(guarded):
    with socket.create_connection(("127.0.0.1", guarded)) as s:
        s.sendall(b"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
        assert closed_after(s, 5) < 2


def test_a_stalled_body_is_closed(guarded, project):
    _, key = project
    with socket.create_connection(("127.0.0.1", guarded)) as s:
        s.sendall(
            f"POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: {basic(key)['Authorization']}\r\n"
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type": '.encode()
        )
        assert closed_after(s, 5) < 2.5


def test_keep_alive_then_idle_is_closed(guarded):
    with socket.create_connection(("127.0.0.1", guarded)) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        assert closed_after(s, 5) < 2


def test_connections_beyond_the_limit_are_closed_at_once(guarded):
    held = [socket.create_connection(("127.0.0.1", guarded)) for _ in range(BOUNDS[2])]
    try:
        time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", guarded)) as extra:
            assert closed_after(extra, 5) < 0.3
    finally:
        for s in held:
            s.close()
    time.sleep(0.1)
    with socket.create_connection(("127.0.0.1", guarded)) as s:  # room again
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
