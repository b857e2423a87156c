"""schemathesis against /openapi.json of a real server: whatever it sends, with or without a key,
no answer is a 5xx."""

from __future__ import annotations

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from ingest_helpers import basic

from touchline.keys import create_key


@pytest.fixture(scope="module")
def key(database_url) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return create_key(conn, "fuzz")[1]


def test_no_server_errors(live_server, key):
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    calls, failures = [], []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=15, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def check(case):
            for headers in (basic(key), {}):
                response = case.call(headers=headers, timeout=5)
                calls.append(response.status_code)
                if response.status_code >= 500:
                    failures.append((case.method, case.path, response.status_code, response.text[:200]))

        check()
    assert failures == []
    assert len(calls) > 100 and any(200 <= c < 300 for c in calls)
