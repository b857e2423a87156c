"""TCP ports on this machine: is one free, and a free one to use."""

from __future__ import annotations

import socket


def port_free(host: str, port: int) -> bool:
    """True when `port` on `host` can be bound now (IPv6 when `host` has a colon)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(preferred: int, host: str = "127.0.0.1") -> int:
    """`preferred` when free on `host`, else any free port there."""
    if port_free(host, preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
