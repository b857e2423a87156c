"""dbt in the run worker's process (orchestration/marts/runner.py, D15): errors reach Dagster, an interrupt
stops dbt and cancels its queries, the process's older objects are out of the garbage collector's full passes
only while dbt runs, and invocations one after another in one process do not leak state."""

from __future__ import annotations

import gc
import os
import time

import psycopg
import pytest

from orchestration.marts import dbt_env, dbt_resource
from orchestration.marts.project import DBT_PROJECT_DIR
from orchestration.marts.runner import DbtThread, in_process_args


@pytest.fixture
def dbt_environment(marts_db_url):
    """The connection variables of the dbt tests' database, as the resource puts them in a run worker."""
    saved = dict(os.environ)
    os.environ.update(dbt_env(marts_db_url))
    yield marts_db_url
    os.environ.clear()
    os.environ.update(saved)


def _args(tmp_path, *args: str) -> list[str]:
    return in_process_args(
        ["--no-use-colors", *args], project_dir=DBT_PROJECT_DIR, profiles_dir=None, target_path=tmp_path
    )


def _messages(thread: DbtThread) -> list[str]:
    return [e["info"]["msg"] for e in thread.stream()]


def test_an_in_process_invocation_streams_dbt_events_and_its_exit_code(dbt_environment, tmp_path):
    ok = DbtThread(_args(tmp_path / "ok", "show", "--inline", "select 41 + 1 as answer"))
    messages = _messages(ok)
    assert ok.wait(60) == 0
    assert any("42" in m for m in messages), messages
    assert (tmp_path / "ok" / "dbt.log").exists()  # the debug log stays in the invocation's folder
    # a query that fails: the exit code and the error among the events that a dbt process gives
    bad = DbtThread(_args(tmp_path / "bad", "show", "--inline", "select * from no_such_table"))
    messages = _messages(bad)
    assert bad.wait(60) == 2
    assert any("no_such_table" in m for m in messages), messages
    # dbt refusing its arguments: exit code 2, the exception kept
    broken = DbtThread(_args(tmp_path / "broken", "build", "--no-such-option"))
    list(broken.stream())
    assert broken.wait(60) == 2 and broken.exception is not None
    # and the next invocation in this process works as the first did
    again = DbtThread(_args(tmp_path / "again", "show", "--inline", "select 6 * 7 as answer"))
    assert any("42" in m for m in _messages(again)) and again.wait(60) == 0


def test_an_interrupt_stops_dbt_and_cancels_its_running_query(dbt_environment, tmp_path):
    url = dbt_environment
    thread = DbtThread(_args(tmp_path, "show", "--inline", "select pg_sleep(120) as slept"))
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 60
        while not conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%%pg_sleep(120)%%' AND pid <> pg_backend_pid()"
            " AND state = 'active'"
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "dbt never started its query"
            time.sleep(0.2)
        assert gc.get_freeze_count() > 0  # the process's older objects are out of the collector's way
        started = time.monotonic()
        thread.send_signal()
        assert thread.wait(30) is not None, "dbt did not stop"
        assert gc.get_freeze_count() == 0  # and back in its care once dbt has stopped, interrupted or not
        assert time.monotonic() - started < 30
        assert thread.returncode != 0
        running = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%%pg_sleep(120)%%' AND pid <> pg_backend_pid()"
            " AND state = 'active'"
        ).fetchone()[0]
        assert running == 0


def test_a_failing_build_raises_with_dbts_error_in_dagster(dbt_environment, tmp_path):
    """The resource's invocation raises dagster-dbt's error, with dbt's messages, when a node fails."""
    from dagster_dbt.errors import DagsterDbtCliRuntimeError

    resource = dbt_resource(dbt_environment)
    invocation = resource.cli(
        ["show", "--inline", "select * from no_such_table"], target_path=tmp_path, raise_on_error=True
    )
    with pytest.raises(DagsterDbtCliRuntimeError, match="no_such_table"):
        invocation.wait()
    assert not invocation.is_successful()
