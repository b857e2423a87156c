"""One core build at a time, and runs that died recognised as dead (docs/architecture.md D6: one build
runs at a time, a database lock; a killed run never blocks the next one).

- Every run that touches core holds, for its whole life, two PostgreSQL session advisory locks on a
  connection of its own: its own run lock (`NS_RUN`, hash of the run id) and the one core build lock
  (`NS_CORE`). PostgreSQL releases both when that connection closes, however the run ends (finished,
  crashed, SIGKILL, machine lost), so the locks work across processes and machines sharing the database.
- A second run waits up to `wait_s` seconds for the core lock, then refuses with one line naming the
  holder (`RunLockBusy`).
- `ops.core_runs` lists the runs that announced themselves. A row whose run lock is free belongs to a
  run that died: `reconcile` (at the start of every run, and on every tick of the `reconcile_dead_runs`
  sensor in the Dagster daemon) deletes it and reports the Dagster run failed, so a dead run never
  blocks the queue (`max_concurrent_runs: 1`).
- `ops.core_batch` says which run staged `core.raw_batch`: the steps after staging refuse a batch of
  another live run (`batch_is_full_refresh`), so two runs' batches never mix, whatever the executor.

In a Dagster run the lock is the `run_lock` resource (`CoreRunLock`); the in-process executor
initialises it once, so the lock spans raw_batch -> lookups -> core_build -> profiles (and dbt).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import psycopg

from touchline import db

NS_CORE, CORE_KEY = 0x746C, 1  # two-int advisory lock: the one core build lock
NS_RUN = 0x746D  # two-int advisory lock: (NS_RUN, hashtext(run_id)) = that run is alive
SQL_DIR = Path(__file__).with_name("sql")

# Locks this process holds: run id -> [connection, depth] (re-entrant: `touchline materialize` takes the
# lock before Dagster starts, and the run's resource then finds it held).
_HELD: dict[str, list] = {}


class RunLockBusy(RuntimeError):
    """Another run holds the core build lock; the message is one line."""


class BatchNotOurs(RuntimeError):
    """core.raw_batch was staged by another run that is still alive."""


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def _run_params(run_id: str) -> dict:
    return {"ns": NS_RUN, "run_id": run_id, "pid": os.getpid(), "host": socket.gethostname()}


@contextmanager
def hold(url: str, run_id: str, wait_s: float, instance=None, poll_s: float = 0.5) -> Iterator[None]:
    """Announce run `run_id`, take the core build lock within `wait_s` seconds (RunLockBusy beyond),
    hold both until the block ends. Runs found dead meanwhile are reported failed in `instance`."""
    if run_id in _HELD:
        _HELD[run_id][1] += 1
        try:
            yield
        finally:
            _HELD[run_id][1] -= 1
        return
    conn = db.connect(url, autocommit=True, application_name=f"touchline run {run_id[:8]}")
    try:
        with psycopg.ClientCursor(conn) as cur:
            cur.execute(sql("register_run"), _run_params(run_id))
        deadline = time.monotonic() + wait_s
        while True:
            reconcile(conn, instance, own=run_id)
            if conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (NS_CORE, CORE_KEY)).fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise RunLockBusy(_busy_line(conn, wait_s))
            time.sleep(max(0.0, min(poll_s, deadline - time.monotonic())))
        conn.execute("UPDATE ops.core_runs SET holds_lock_since = now() WHERE run_id = %s", (run_id,))
        _HELD[run_id] = [conn, 1]
        yield
    finally:
        _HELD.pop(run_id, None)
        try:
            if not conn.closed:
                conn.execute("DELETE FROM ops.core_runs WHERE run_id = %s", (run_id,))
        except psycopg.Error:
            pass  # the row is reconciled by the next run: our locks go with the connection
        conn.close()  # releases both advisory locks


def _busy_line(conn: psycopg.Connection, wait_s: float) -> str:
    row = conn.execute(sql("lock_holder")).fetchone()
    holder = "another run"
    if row:
        run_id, host, pid, since = row
        holder = f"run {run_id[:8]} (host {host}, pid {pid}, since {since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC)"
    return (
        f"another core build is running: {holder}; gave up after waiting {wait_s:g} s "
        f"(TOUCHLINE_RUN_LOCK_WAIT_S sets the wait)"
    )


def reconcile(conn: psycopg.Connection, instance=None, own: str | None = None) -> list[str]:
    """Find runs in ops.core_runs whose run lock is free (they died), forget them and report them
    failed in the Dagster `instance` if it still shows them in progress. Returns their run ids.
    `own`: the run whose lock `conn` holds (a session lock is re-entrant, so it would look free)."""
    dead = []
    for (run_id,) in conn.execute("SELECT run_id FROM ops.core_runs").fetchall():
        if run_id in _HELD or run_id == own:
            continue
        if conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (NS_RUN, run_id)).fetchone()[0]:
            conn.execute("DELETE FROM ops.core_runs WHERE run_id = %s", (run_id,))
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (NS_RUN, run_id))
            dead.append(run_id)
    if instance is not None:
        for run_id in dead:
            mark_failed(instance, run_id)
    return dead


def mark_failed(instance, run_id: str) -> bool:
    """Report a dead run failed in Dagster (if it is still shown in progress there)."""
    run = instance.get_run_by_id(run_id)
    if run is None or run.is_finished:
        return False
    instance.report_run_failed(
        run,
        f"touchline: the run's process died (its database session ended at or before "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC); marked failed so the next run can start",
    )
    return True


def claim_batch(conn: psycopg.Connection, run_id: str, full_refresh: bool) -> None:
    """Record that `run_id` staged core.raw_batch (a full refresh or not)."""
    conn.execute(sql("claim_batch"), {"run_id": run_id, "full_refresh": full_refresh})


def batch_is_full_refresh(conn: psycopg.Connection, run_id: str) -> bool:
    """Check core.raw_batch may be used by `run_id` (BatchNotOurs if another live run staged it);
    return whether this run staged it as a full refresh."""
    row = conn.execute(sql("batch_owner")).fetchone()
    if row is None:
        return False
    owner, full_refresh, alive = row
    if owner == run_id:
        return full_refresh
    if alive:
        raise BatchNotOurs(
            f"core.raw_batch was staged by run {owner[:8]}, which is still running: "
            f"this run ({run_id[:8]}) stops rather than mix batches; run it again"
        )
    return False
