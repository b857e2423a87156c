"""Test session fixtures: a real PostgreSQL database of the tests' own.

The server is the embedded one (started if needed) or the one `DATABASE_URL` names. Each test
session creates its own database `touchline_test_<pid>` on it, migrates it and drops it at the end, so
tests never see the demo data and two test sessions never see each other.
"""

from __future__ import annotations

import os

import psycopg
import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


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
