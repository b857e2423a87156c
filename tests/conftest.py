"""Test session fixtures: a real PostgreSQL database of the tests' own.

The server is the embedded one (started if needed) or the one `DATABASE_URL` names. Each test
session creates its own database `touchline_test_<pid>` on it, migrates it and drops it at the end, so
tests never see the demo data and two test sessions never see each other.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback

import psycopg
import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

# A test that hangs fails after pyproject's `timeout` (pytest-timeout) and the run goes on. Where every
# thread stood at that moment is printed again at the very end, a few lines a thread, so that a CI log
# that shows only its last lines still says what waited for what.
_HUNG: list[str] = []


def _where_threads_stand(frames: int = 4) -> list[str]:
    names = {t.ident: t.name for t in threading.enumerate()}
    lines = []
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue  # the main thread's stack is the failure's traceback
        stack = traceback.extract_stack(frame)[-frames:]
        where = " <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in reversed(stack))
        lines.append(f"  [{names.get(ident, ident)}] {where}")
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and call.excinfo is not None and "Timeout" in str(call.excinfo.value):
        _HUNG.extend([f"{item.nodeid} ({report.when}) timed out; the threads then:", *_where_threads_stand()])
    return report


def pytest_terminal_summary(terminalreporter):
    if _HUNG:
        terminalreporter.section("hung tests")
        for line in _HUNG:
            terminalreporter.line(line)


@pytest.fixture(scope="session")
def database_url() -> str:
    from tests.db_helpers import migrated_database
    from touchline import db, settings

    name = f"touchline_test_{os.getpid()}"
    previous = os.environ.get("DATABASE_URL")
    with migrated_database(db.server_url(), name) as url:
        os.environ["DATABASE_URL"] = url
        settings.get_settings.cache_clear()
        yield url
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        settings.get_settings.cache_clear()
        db.drop_database(db.with_database(url, f"{name}_dagster"))


@pytest.fixture
def conn(database_url):
    with psycopg.connect(database_url, autocommit=True) as c:
        yield c
