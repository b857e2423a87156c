"""A model's not_null_columns test (dbt_project/tests/generic/not_null_columns.sql) fails when a column it
names holds a null, and its rows name each such column with how many rows: in an incremental build on the
rows the build changed (the test scope, dbt_project/macros/test_scope.sql), and in a full build on the
whole table."""

from __future__ import annotations

import json

import psycopg
import pytest
from conftest import OTHER, SHOP, load_core, run_dbt

NOT_NULL = "test.touchline.not_null_columns_sessions"


@pytest.fixture
def nn_db_url(database_url):
    from tests.db_helpers import migrated_database
    from touchline import db

    with migrated_database(database_url, f"{db.url_parts(database_url).database}_marts_not_null") as url:
        yield url


def result_of(target, unique_id: str) -> dict:
    """The run_results.json entry of the test `unique_id` (without its hash) in the last invocation."""
    rows = json.loads((target / "run_results.json").read_text())["results"]
    (row,) = [r for r in rows if r["unique_id"].rsplit(".", 1)[0] == unique_id]
    return row


def failing_columns(url: str, result: dict) -> set[tuple[str, int]]:
    """The rows the test returned: what a failure reports (run again from its compiled SQL)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return {tuple(r) for r in conn.execute(result["compiled_code"])}


def test_not_null_columns_fails_and_names_the_columns(nn_db_url, tmp_path):
    url = nn_db_url
    load_core(url, "A")
    run_dbt(url, "build", "--full-refresh", target_path=tmp_path)
    assert result_of(tmp_path, NOT_NULL)["status"] == "pass"

    # incremental: a bug in the mart gives the changed person u_dave (identified in B, two sessions) a
    # session without source and channel; every other row stays right
    load_core(url, "B")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("""
            CREATE FUNCTION public.break_session() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.blended_user_id = 'u_dave' THEN NEW.source := NULL; NEW.channel := NULL; END IF;
                RETURN NEW;
            END $$""")
        conn.execute(
            "CREATE TRIGGER break_session BEFORE INSERT ON marts.sessions FOR EACH ROW EXECUTE FUNCTION public.break_session()"
        )
    inc = run_dbt(url, "build", target_path=tmp_path, check=False)
    assert inc.returncode != 0
    result = result_of(tmp_path, NOT_NULL)
    assert result["status"] == "fail", inc.stdout[-3000:]
    assert "core.change_log" in result["compiled_code"]  # the scoped test: the rows of the logged persons
    assert result["failures"] == 2
    assert failing_columns(url, result) == {("source", 2), ("channel", 2)}
    assert "not_null_columns_sessions" in inc.stdout

    # full build: the mart rebuilt from core is right again; a null behind dbt's back in a row no change
    # touched (the other project's session) is found, the test reading the whole table
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER break_session ON marts.sessions")
    run_dbt(url, "build", "--full-refresh", target_path=tmp_path)
    assert result_of(tmp_path, NOT_NULL)["status"] == "pass"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE marts.sessions SET device_id = NULL WHERE project_id = %s", (OTHER,))
        conn.execute(
            "UPDATE marts.sessions SET started_at = NULL WHERE project_id = %s AND session_id = 's_b1'", (SHOP,)
        )
    full = run_dbt(
        url, "build", "--full-refresh", "--select", "not_null_columns_sessions", target_path=tmp_path, check=False
    )
    assert full.returncode != 0
    result = result_of(tmp_path, NOT_NULL)
    assert result["status"] == "fail", full.stdout[-3000:]
    assert "change_log" not in result["compiled_code"]
    assert failing_columns(url, result) == {("device_id", 1), ("started_at", 1)}
