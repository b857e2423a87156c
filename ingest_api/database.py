"""The API's connections to PostgreSQL: a tiny two-connection pool.

A connection that fails on use after a database restart is replaced at once and the statement run
again (no blackout once the database answers); while the database is down, a reconnect is tried at
most every `reconnect_interval_s` and requests in between fail fast with 503.

The writer (`writer.GroupWriter`) owns one connection for group commits; `Database` keeps one more
for the small reads (key lookups, CORS origins, health) and the periodic `last_used_at` update.
Both connect with a short timeout and report `DatabaseUnavailable` (answered 503) instead of
waiting: a request never hangs on a database that is down. Nor does the API on one that is up but
stuck: its sessions wait at most `LOCK_TIMEOUT` for a lock (a DBA's open transaction on raw.events, a
partition being created) and `STATEMENT_TIMEOUT` for a statement; the group that waited is answered 503
and the writer goes on with the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import psycopg

from touchline.db import DatabaseUnavailable, libpq_url

__all__ = ["Database", "DatabaseUnavailable", "close_quietly", "connect"]

LOCK_TIMEOUT = "5s"
STATEMENT_TIMEOUT = "30s"


async def connect(url: str, timeout: float) -> psycopg.AsyncConnection:
    """An autocommit async connection within `timeout` seconds, or DatabaseUnavailable."""
    try:
        async with asyncio.timeout(timeout):
            return await _connect(url)
    except (TimeoutError, OSError, psycopg.Error) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "timed out"
        raise DatabaseUnavailable(f"database not reachable: {reason}") from None


async def _connect(url: str) -> psycopg.AsyncConnection:
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True, application_name="touchline-ingest")
    await conn.execute(
        "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false)",
        (LOCK_TIMEOUT, STATEMENT_TIMEOUT),
    )
    return conn


async def close_quietly(conn: psycopg.AsyncConnection | None) -> None:
    """Close a connection being thrown away: briefly, and never raising."""
    if conn is not None:
        with contextlib.suppress(Exception):  # it is being thrown away
            async with asyncio.timeout(0.2):
                await conn.close()


class Database:
    """One lazily (re)connected connection for short reads; every call bounded by `timeout`."""

    def __init__(self, url: str, timeout: float = 1.0, retry_interval: float = 0.5) -> None:
        self.url = libpq_url(url)
        self.timeout = timeout
        self.retry_interval = retry_interval
        self._conn: psycopg.AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self._failed_at = 0.0
        self._failure = ""

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if time.monotonic() - self._failed_at < self.retry_interval:
            raise DatabaseUnavailable(self._failure)
        try:
            self._conn = await connect(self.url, self.timeout)
        except DatabaseUnavailable as exc:
            self._failed_at, self._failure = time.monotonic(), str(exc)
            raise
        return self._conn

    async def fetch(self, query: str, params: dict[str, Any] | None = None) -> list[tuple]:
        """Run one statement; its rows (or [] when it returns none)."""
        async with self._lock:
            for attempt in (1, 2):
                stale = self._conn is not None and not self._conn.closed  # a connection used before
                try:
                    conn = await self._connection()
                    async with asyncio.timeout(self.timeout):
                        cur = await conn.execute(query, params)
                    return await cur.fetchall() if cur.description else []
                except (TimeoutError, psycopg.OperationalError, psycopg.InterfaceError, OSError) as exc:
                    await self._discard()
                    if stale and attempt == 1 and not isinstance(exc, asyncio.TimeoutError):
                        self._failed_at = 0.0  # the server restarted since the last use: reconnect at once
                        continue
                    raise DatabaseUnavailable(f"database not reachable: {exc or 'timed out'}") from None
            raise AssertionError("unreachable")

    async def _discard(self) -> None:
        conn, self._conn = self._conn, None
        self._failed_at, self._failure = time.monotonic(), "database connection lost"
        await close_quietly(conn)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
