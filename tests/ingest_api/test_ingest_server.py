"""`ingest_api.server.serve`: refuses a taken port with one line; migrates and serves otherwise."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from ingest_helpers import free_port

from ingest_api.server import serve


def test_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exc:
            serve("127.0.0.1", port)
    assert str(exc.value) == f"port {port} on 127.0.0.1 is in use"


def test_serve_runs_uvicorn_against_the_database(database_url):
    port = free_port()
    code = f"from ingest_api.server import serve; serve('127.0.0.1', {port}, 1)"
    env = {**os.environ, "DATABASE_URL": database_url}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()[-2000:]
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["database"] == "ok"
    finally:
        proc.terminate()
        proc.wait(10)
