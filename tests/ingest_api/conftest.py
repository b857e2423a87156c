"""Fixtures of the ingest API tests: settings on the test database, fresh keys, an app client and
a real uvicorn server on a free port."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from ingest_helpers import serving

from ingest_api.app import create_app
from ingest_api.config import IngestSettings
from touchline.keys import create_key


@pytest.fixture
def settings(database_url) -> IngestSettings:
    # A loaded test machine can take over a second to commit a group: the default 1 s would answer 503 (by
    # design) where the tests are about something else. Tests of 503s use a database that is down.
    return IngestSettings(
        DATABASE_URL=database_url, last_used_interval_s=0.2, key_cache_ttl_s=0.5, commit_timeout_s=10.0
    )


@pytest.fixture
def new_key(conn):
    """new_key(origins=()) -> (project_id, key) of a fresh project."""

    def make(origins: tuple[str, ...] = (), env: str = "live") -> tuple[str, str]:
        project_id, key = create_key(conn, f"test {uuid.uuid4().hex[:12]}", env)
        if origins:
            conn.execute(
                "UPDATE ops.projects SET allowed_origins = %s WHERE project_id = %s", (list(origins), project_id)
            )
        return project_id, key

    return make


@pytest.fixture
def project(new_key) -> tuple[str, str]:
    return new_key()


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def live_server(database_url):
    """Base URL of a real uvicorn serving the app in a thread. A generous commit timeout: on a loaded
    test machine the default 1 s answers 503 (by design), which is not what these tests are about."""
    with serving(IngestSettings(DATABASE_URL=database_url, commit_timeout_s=10.0)) as url:
        yield url
