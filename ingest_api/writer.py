"""Group commit: one writer task per process turns the events of all concurrent requests into one
transaction, and each request learns when its events are committed.

A request hands its rows to `GroupWriter.write` and awaits a future. The writer takes everything
pending (up to `group_max_events`), claims the messageIds in `raw.event_keys` (ON CONFLICT DO
NOTHING, see `queries/claim_keys.sql`), COPYs only the events whose key was new into `raw.events`,
COPYs rejections into `raw.rejected_events`, and commits (a small group does the same in one
statement, `queries/write_small_group.sql`: one round trip instead of five); then it resolves every future of the group.
While one group commits, the next one accumulates, so the group size follows the load with no fixed
delay. A 2xx is answered only after the commit.

Failures: a lost or unreachable database fails the group's futures with `DatabaseUnavailable` (503;
the client retries, deduplication makes that safe). A deadlock between workers is retried. Any other
database error re-runs the group request by request, then event by event, so only the event the
database refuses is quarantined (reason `database_rejected`) and the rest is stored.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import orjson
import psycopg
from psycopg import errors

from ingest_api.database import DatabaseUnavailable, close_quietly, connect
from ingest_api.queries import sql
from ingest_api.rows import REJECTED_EVENT_COLUMNS, RawEvent, RejectedEvent, first_copies

log = logging.getLogger(__name__)

# Secrets never reach the quarantine: write keys wherever they stand (a key has this shape, see
# touchline/keys.py) and the value of any field that carries a key, whatever it holds.
_KEY_TOKEN = re.compile(r"sk_(live|test)_[A-Za-z0-9]{32}")
_KEY_FIELD = re.compile(r'("(?:writeKey|write_key|writekey|api_key|apiKey|token|password)"\s*:\s*)"(?:[^"\\]|\\.)*"')
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with write keys and key-carrying JSON fields replaced by [redacted]."""
    if "sk_" in text:
        text = _KEY_TOKEN.sub(lambda m: f"sk_{m.group(1)}_{REDACTED}", text)
    return _KEY_FIELD.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)


MONTHS_AHEAD = 3
SMALL_GROUP = 200  # rows up to which a group is written by one statement instead of COPY


@dataclass(slots=True)
class Job:
    rows: list[RawEvent]
    rejected: list[RejectedEvent]
    month: date
    future: asyncio.Future = field(default=None)  # type: ignore[assignment]


def month_of(ts: datetime) -> date:
    return date(ts.year, ts.month, 1)


class GroupWriter:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 1.0,
        retry_interval: float = 0.5,
        max_events: int = 20_000,
        retention_months: int | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.retry_interval = retry_interval
        self.max_events = max_events
        self.retention_months = retention_months
        self._pending: list[Job] = []
        self._wake = asyncio.Event()
        self._conn: psycopg.AsyncConnection | None = None
        self._failed_at = 0.0
        self._failure = ""
        self._months: set[date] = set()
        self._task: asyncio.Task | None = None
        self._closing = False
        self.groups = 0  # commits done (for tests and curiosity)

    # -- public -----------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ingest-group-writer")

    async def stop(self) -> None:
        """Write what is pending, then close."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        if self._conn is not None:
            await self._conn.close()

    def submit(self, rows: list[RawEvent], rejected: list[RejectedEvent], month: date) -> asyncio.Future:
        """Queue rows; the future resolves to the positions in `rows` the database refused
        (usually none) once committed, or fails with DatabaseUnavailable."""
        if self._closing:
            raise DatabaseUnavailable("the server is shutting down")
        if self._conn is None and time.monotonic() - self._failed_at < self.retry_interval:
            raise DatabaseUnavailable(self._failure)
        job = Job(rows, rejected, month, asyncio.get_running_loop().create_future())
        self._pending.append(job)
        self._wake.set()
        return job.future

    async def write(self, rows: list[RawEvent], rejected: list[RejectedEvent], month: date) -> list[int]:
        """Submit and wait at most `timeout` seconds for the commit (DatabaseUnavailable after)."""
        future = self.submit(rows, rejected, month)
        try:
            async with asyncio.timeout(self.timeout):
                return await asyncio.shield(future)
        except TimeoutError:
            raise DatabaseUnavailable("the database did not confirm the write in time") from None

    # -- the writer task ----------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            if not self._pending:
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            group = self._take()
            try:
                await self._commit(group)
            except Exception as exc:  # noqa: BLE001 - never let the writer die
                log.exception("group commit failed")
                _fail(group, DatabaseUnavailable(f"write failed: {exc}"))

    def _take(self) -> list[Job]:
        taken, count = 0, 0
        for job in self._pending:
            if taken and count + len(job.rows) > self.max_events:
                break
            taken += 1
            count += len(job.rows)
        group, self._pending = self._pending[:taken], self._pending[taken:]
        return group

    async def _commit(self, group: list[Job]) -> None:
        for attempt in (1, 2):
            stale = self._conn is not None and not self._conn.closed  # a connection used before
            try:
                conn = await self._connection()
                for month in {job.month for job in group} - self._months:
                    await self._ensure_month(conn, month)
                refused = await self._write_group(conn, group)
                break
            except (DatabaseUnavailable, psycopg.OperationalError, psycopg.InterfaceError, OSError) as exc:
                await self._discard(exc)
                if stale and attempt == 1:
                    # The server restarted (or dropped us) since the last group: reconnect at once and
                    # write again; claimed messageIds make a repeat of a committed group store nothing twice.
                    self._failed_at = 0.0
                    continue
                _fail(
                    group,
                    exc if isinstance(exc, DatabaseUnavailable) else DatabaseUnavailable(f"database error: {exc}"),
                )
                return
        self.groups += 1
        for job, positions in zip(group, refused):
            if not job.future.done():
                job.future.set_result(positions)

    async def _write_group(self, conn: psycopg.AsyncConnection, group: list[Job]) -> list[list[int]]:
        """Write a group in one transaction; on a data error, split it. Returns refused positions."""
        rows = [r for job in group for r in job.rows]
        rejected = [r for job in group for r in job.rejected]
        for attempt in range(3):
            try:
                await self._transaction(conn, rows, rejected)
                return [[] for _ in group]
            except psycopg.Error as exc:
                if conn.broken or conn.closed:
                    raise  # the connection is gone: 503, the clients retry
                if isinstance(exc, errors.TransactionRollback) and attempt < 2:
                    continue  # a deadlock between workers claiming the same keys: try again
                log.warning(
                    "group of %d requests refused by the database (%s); splitting it",
                    len(group),
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                )
                break
        if len(group) > 1:
            return [(await self._write_group(conn, [job]))[0] for job in group]
        return [await self._write_one_by_one(conn, group[0])]

    async def _write_one_by_one(self, conn: psycopg.AsyncConnection, job: Job) -> list[int]:
        """The last resort: each event alone; the ones refused are quarantined."""
        refused: list[int] = []
        await self._transaction(conn, [], job.rejected)
        for position, row in enumerate(job.rows):
            try:
                await self._transaction(conn, [row], [])
            except psycopg.Error as exc:
                if conn.broken or conn.closed:
                    raise
                refused.append(position)
                log.warning("event %s of project %s refused by the database: %s", row.message_id, row.project_id, exc)
                await self._transaction(
                    conn,
                    [],
                    [RejectedEvent(row.project_id, row.received_at, "database_rejected", row.key_prefix, row.payload)],
                )
        return refused

    async def _transaction(
        self, conn: psycopg.AsyncConnection, rows: list[RawEvent], rejected: list[RejectedEvent]
    ) -> None:
        rejected = [r._replace(payload=redact(r.payload)) for r in rejected]
        unique = first_copies(rows)  # the first copy of a messageId in the group wins (the earliest received)
        if len(unique) + len(rejected) <= SMALL_GROUP:
            # One round trip: under load every round trip waits for a CPU, so fewer is faster. The payload,
            # the one JSON field, is the last (tests/ingest_api/test_rows.py holds it there).
            await conn.execute(
                sql("write_small_group"),
                {
                    "events": orjson.dumps([row[:-1] + (orjson.Fragment(row.payload),) for row in unique]).decode(),
                    "rejected": orjson.dumps([dict(zip(REJECTED_EVENT_COLUMNS, r)) for r in rejected]).decode(),
                },
            )
            return
        # COPY costs PostgreSQL about half the CPU per row of the JSON statement.
        async with conn.transaction(), conn.cursor() as cur:
            if unique:
                await cur.execute(
                    sql("claim_keys"),
                    {
                        "project_ids": [r.project_id for r in unique],
                        "message_ids": [r.message_id for r in unique],
                        "received_at": [r.received_at for r in unique],
                    },
                )
                taken = set(await cur.fetchall())
                if taken:
                    unique = [r for r in unique if (r.project_id, r.message_id) not in taken]
                async with cur.copy(sql("copy_events")) as copy:
                    for row in unique:
                        await copy.write_row(row)
            if rejected:
                async with cur.copy(sql("copy_rejected")) as copy:
                    for row in rejected:
                        await copy.write_row(row)

    # -- connection and partitions --------------------------------------------------------------

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if time.monotonic() - self._failed_at < self.retry_interval:
            raise DatabaseUnavailable(self._failure)
        try:
            conn = await connect(self.url, self.timeout)
        except psycopg.Error as exc:
            raise DatabaseUnavailable(f"database not usable: {exc}") from None
        self._conn = conn
        self._months = set()
        return conn

    async def _ensure_month(self, conn: psycopg.AsyncConnection, month: date) -> None:
        """Make sure `month` and the next MONTHS_AHEAD months have partitions (idempotent), and
        apply the retention: on (re)connection and at each new month."""
        await conn.execute(sql("ensure_partitions"), {"month": month, "months_ahead": MONTHS_AHEAD})
        if self.retention_months:
            cur = await conn.execute(sql("drop_partitions"), {"keep_months": self.retention_months})
            dropped = [r[0] for r in await cur.fetchall()]
            if dropped:
                log.warning("retention: dropped partitions %s", ", ".join(dropped))
        self._months.add(month)

    async def _discard(self, exc: BaseException) -> None:
        conn, self._conn = self._conn, None
        self._failed_at = time.monotonic()
        self._failure = str(exc) if isinstance(exc, DatabaseUnavailable) else f"database error: {exc}"
        await close_quietly(conn)

    async def warm_up(self) -> None:
        """Connect and create this month's partitions now (best effort: the database may be down)."""
        try:
            conn = await self._connection()
            await self._ensure_month(conn, month_of(datetime.now(UTC)))
        except (DatabaseUnavailable, psycopg.Error) as exc:
            log.warning("database not ready at start: %s", exc)


def _fail(group: list[Job], exc: BaseException) -> None:
    for job in group:
        if not job.future.done():
            job.future.set_exception(exc)
            job.future.exception()  # mark retrieved: the request may have timed out already
