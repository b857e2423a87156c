"""Running the real SDK packages of tests/sdk_clients (npm, pinned by its package-lock.json) against a
live API: browser SDKs in headless Chromium from a page on another origin, Node SDKs in node.

Where the machine has no Chromium or no node packages the tests skip with one line; under CI (`CI` set,
or `TOUCHLINE_REQUIRE_BROWSER=1` as `.ci/run` sets it) they fail instead.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ingest_helpers import free_port

SDK_DIR = Path(__file__).resolve().parents[1] / "sdk_clients"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("TOUCHLINE_REQUIRE_BROWSER") == "1"


def need(what: str, present: bool) -> None:
    if present:
        return
    if _required():
        pytest.fail(f"{what} is missing, and CI requires these tests to run")
    pytest.skip(f"{what} is missing: SDK tests skipped (make install sets them up; apt-get install chromium)")


def need_node() -> None:
    need(
        "node or tests/sdk_clients/node_modules (npm ci)",
        shutil.which("node") is not None and (SDK_DIR / "node_modules" / ".package-lock.json").exists(),
    )


def need_browser() -> None:
    need_node()
    need(f"Chromium ({CHROMIUM})", os.access(CHROMIUM, os.X_OK))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def static_site() -> Iterator[str]:
    """tests/sdk_clients served on http://localhost:PORT: another origin than the API (127.0.0.1)."""
    port = free_port()
    handler = functools.partial(_Quiet, directory=str(SDK_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()


class Page:
    """A page open in Chromium until `close()`; `log` holds what the browser saw."""

    def __init__(self, url: str, max_ms: int = 60_000) -> None:
        self.proc = subprocess.Popen(
            ["node", "browser.mjs", url, str(max_ms)],
            cwd=SDK_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.log = ""

    def close(self) -> str:
        if self.proc.poll() is None:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.write(b"close\n")
                self.proc.stdin.flush()
        out, err = self.proc.communicate(timeout=60)
        self.log = (out + err).decode(errors="replace")
        return self.log


def run_node(script: str, *args: str, timeout: float = 90) -> str:
    """Run `node script args...` in tests/sdk_clients; its output; AssertionError with it on failure."""
    done = subprocess.run(["node", script, *args], cwd=SDK_DIR, capture_output=True, timeout=timeout)
    output = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 0, output
    return output


def wait_for(check: Callable[[], bool], timeout: float = 45) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return check()


def raw_rows(conn, project_id: str) -> list[dict]:
    rows = conn.execute(
        "SELECT message_id, type, event, anonymous_id, user_id, previous_id, user_agent, payload"
        " FROM raw.events WHERE project_id = %s ORDER BY received_at, message_id",
        (project_id,),
    ).fetchall()
    names = ("message_id", "type", "event", "anonymous_id", "user_id", "previous_id", "user_agent", "payload")
    return [dict(zip(names, r)) for r in rows]


def has_types(conn, project_id: str, wanted: list[str]) -> Callable[[], bool]:
    """A check: raw.events of the project hold at least these types (a multiset)."""

    def check() -> bool:
        kinds = [r["type"] for r in raw_rows(conn, project_id)]
        return all(kinds.count(k) >= wanted.count(k) for k in set(wanted))

    return check
