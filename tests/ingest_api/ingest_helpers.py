"""Helpers shared by the ingest API tests (imported by name: the tests folder is not a package)."""
from __future__ import annotations

import base64
import socket


def basic(key: str) -> dict[str, str]:
    """The Authorization header Segment's SDKs send: the key as user name, empty password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
