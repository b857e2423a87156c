"""One core build at a time; killed runs recognised dead; a full refresh replaces core in one transaction.

Real processes: `touchline materialize` subprocesses against the test database and a Dagster instance
with PostgreSQL storage (TOUCHLINE_HOME in a temporary folder), killed with SIGKILL where it matters."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from dagster import DagsterInstance, DagsterRunStatus

import generator
from orchestration.runs import lock
from tests.orchestration.pipeline_helpers import reset, snapshot
from touchline import runtime, settings

BIN = Path(sys.executable).parent
# the core build without dbt: the run's batch (group raw), the lookups and core
CORE = "key:core/raw_batch or group:enrichment or group:core"
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def dataset():
    return generator.generate(events=6000, seed=5, days=15, end=END)


@pytest.fixture
def env(database_url, tmp_path, monkeypatch):
    """Environment of a touchline process on the test database with its own Dagster home."""
    monkeypatch.setenv("TOUCHLINE_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    settings.get_settings.cache_clear()
    runtime.prepare()
    yield dict(os.environ)
    settings.get_settings.cache_clear()


@pytest.fixture
def instance(env):
    with DagsterInstance.get() as inst:
        yield inst


def materialize(env, *args, wait="600") -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "touchline"), "materialize", "--select", CORE, *args],
        env={**env, "TOUCHLINE_RUN_LOCK_WAIT_S": wait},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _load(conn, dataset):
    reset(conn)
    conn.execute("TRUNCATE ops.core_runs, ops.core_batch")
    generator.load_raw(conn, dataset, "runs")


def _full_refresh_snapshot(conn, instance):
    from orchestration.run import materialize_all

    assert materialize_all(select=CORE, full_refresh=True, instance=instance, log_level="ERROR")
    return snapshot(conn)


def _wait_for(predicate, proc: subprocess.Popen, timeout=120, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() not in (None, -signal.SIGKILL):
            raise AssertionError(f"the run ended before {what}: {proc.communicate()}")
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_second_run_refuses_in_one_line_after_the_wait(conn, env, dataset):
    _load(conn, dataset)
    with lock.hold(env["DATABASE_URL"], "holder-run-0001", wait_s=0):
        t = time.monotonic()
        p = materialize(env, wait="2")
        out, err = p.communicate(timeout=300)
    assert p.returncode == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("touchline: another core build is running: run holder-r")
    assert "gave up after waiting 2 s" in lines[0]
    assert time.monotonic() - t >= 2
    assert conn.execute("SELECT count(*) FROM core.events").fetchone()[0] == 0  # it did nothing


def test_two_materializations_at_once_give_the_tables_of_one_full_refresh(conn, env, instance, dataset):
    _load(conn, dataset)
    a, b = materialize(env), materialize(env)
    results = [p.communicate(timeout=600) + (p.returncode,) for p in (a, b)]
    assert [r[2] for r in results] == [0, 0], results
    assert all("succeeded" in r[0] for r in results)
    runs = instance.get_runs()
    assert len(runs) >= 2 and all(r.status == DagsterRunStatus.SUCCESS for r in runs[:2])
    # no event lost its geo to a mixed batch: every event whose IP has a country has that country
    assert (
        conn.execute("""SELECT count(*) FROM core.events e JOIN raw.events r USING (project_id, message_id)
                           JOIN core.geo_lookup g ON g.ip = r.ip
                           WHERE g.country IS NOT NULL AND e.country IS DISTINCT FROM g.country""").fetchone()[0]
        == 0
    )
    assert conn.execute("SELECT count(*) FROM core.events WHERE country IS NOT NULL").fetchone()[0] > 0
    incremental = snapshot(conn)
    assert int(incremental["core.events"].split(":")[0]) > 5000
    assert _full_refresh_snapshot(conn, instance) == incremental


def _core_events_locked(url):
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute("""SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class t ON t.oid = l.relation
                            WHERE t.oid = 'core.events'::regclass AND l.mode = 'AccessExclusiveLock' AND l.granted)
                         """).fetchone()[0]


def test_a_killed_run_is_marked_dead_and_the_next_run_equals_a_full_refresh(conn, env, instance, dataset):
    from orchestration.run import materialize_all

    _load(conn, dataset)
    assert materialize_all(select=CORE, instance=instance, log_level="ERROR")
    before = conn.execute("SELECT count(*) FROM core.events").fetchone()[0]
    assert before > 5000
    # more events arrive (received after the first run's watermark) before the next runs
    generator.load_raw(conn, generator.generate(events=1500, seed=6, days=3, end=END + dt.timedelta(days=20)), "runs2")

    # a full refresh killed in the middle of its core build leaves the old core, never an empty one
    p = materialize(env, "--full-refresh")
    _wait_for(lambda: _core_events_locked(env["DATABASE_URL"]), p, what="the full refresh to hold core.events")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(30)
    assert conn.execute("SELECT count(*) FROM core.events").fetchone()[0] == before
    killed = instance.get_runs(limit=1)[0]
    assert killed.status == DagsterRunStatus.STARTED  # Dagster alone would keep it started forever

    # the next run starts, marks the killed one failed, and equals a full refresh
    assert materialize_all(select=CORE, instance=instance, log_level="ERROR", wait_s=30)
    assert instance.get_run_by_id(killed.run_id).status == DagsterRunStatus.FAILURE
    assert conn.execute("SELECT count(*) FROM ops.core_runs").fetchone()[0] == 0
    incremental = snapshot(conn)
    assert int(incremental["core.events"].split(":")[0]) > before
    assert _full_refresh_snapshot(conn, instance) == incremental


def test_the_daemon_sensor_marks_a_dead_run_failed(conn, env, instance, dataset):
    """Without any next run: the reconcile sensor (run by the Dagster daemon) frees the queue."""
    from dagster import build_sensor_context

    from orchestration.definitions import defs

    _load(conn, dataset)
    p = materialize(env)

    def started():
        row = conn.execute("SELECT run_id FROM ops.core_runs WHERE holds_lock_since IS NOT NULL").fetchone()
        run = row and instance.get_run_by_id(row[0])
        return run is not None and run.status == DagsterRunStatus.STARTED

    _wait_for(started, p, what="the run to take the lock and start")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(30)
    run = instance.get_runs(limit=1)[0]
    assert run.status == DagsterRunStatus.STARTED
    _wait_for(
        lambda: (
            conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                (f"touchline run {run.run_id[:8]}",),
            ).fetchone()[0]
            == 0
        ),
        p,
        what="the server to end the killed run's session",
    )
    from orchestration.resources import PostgresResource

    sensor = defs.resolve_sensor_def("reconcile_dead_runs")
    with build_sensor_context(
        instance=instance, resources={"db": PostgresResource(database_url=env["DATABASE_URL"])}
    ) as ctx:
        result = sensor(ctx)
    assert run.run_id[:8] in str(result.skip_message if hasattr(result, "skip_message") else result)
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
