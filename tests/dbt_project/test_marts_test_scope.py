"""An incremental `dbt build` tests the rows it changed; rows that failed are tested again until a build
passes; without a passing build to start from, tests read whole tables (dbt_project/macros/test_scope.sql).
Unchanged views and seeds are left alone (dbt_project/macros/view_replace.sql, seed_unchanged.sql)."""

from __future__ import annotations

import json

import psycopg
import pytest
from conftest import SHOP, load_core, run_dbt

NOT_NULL_SESSIONS = "test.touchline.not_null_columns_sessions"  # channel among its columns
RELATIONSHIP = "test.touchline.relationships_conversions_session_id__session_id__ref_sessions_"


@pytest.fixture
def scope_db_url(database_url):
    from tests.db_helpers import migrated_database
    from touchline import db

    with migrated_database(database_url, f"{db.url_parts(database_url).database}_marts_scope") as url:
        yield url


def results(target) -> dict[str, dict]:
    """run_results.json of the last dbt invocation in `target`, by node id without the test hash."""
    rows = json.loads((target / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].rsplit(".", 1)[0]
        if r["unique_id"].startswith("test.") and r["unique_id"].count(".") == 3
        else r["unique_id"]: r
        for r in rows
    }


def data_tests_watermark(conn) -> int | None:
    row = conn.execute("SELECT consumed_seq FROM ops.mart_watermarks WHERE mart = 'dbt.data_tests'").fetchone()
    return row[0] if row else None


def test_incremental_build_tests_what_it_changed(scope_db_url, tmp_path):
    url = scope_db_url
    load_core(url, "A")
    run_dbt(url, "build", "--full-refresh", target_path=tmp_path)
    full = results(tmp_path)
    # a full refresh tests whole tables, and its passing tests start the tests' watermark
    assert full[NOT_NULL_SESSIONS]["status"] == "pass"
    assert "change_log" not in full[NOT_NULL_SESSIONS]["compiled_code"]
    with psycopg.connect(url, autocommit=True) as conn:
        top = conn.execute("SELECT max(seq) FROM core.change_log").fetchone()[0]
        assert data_tests_watermark(conn) == top

        load_core(url, "B")
        # a person core did not log: their mart row is broken behind dbt's back
        untouched = conn.execute(
            "SELECT session_id FROM marts.sessions WHERE (project_id, blended_user_id) NOT IN"
            " (SELECT project_id, entity_id FROM core.change_log WHERE kind = 'person' AND seq > %s)"
            " ORDER BY session_id LIMIT 1",
            (top,),
        ).fetchone()[0]
        conn.execute("UPDATE marts.sessions SET channel = NULL WHERE session_id = %s", (untouched,))

    # incremental: the tests read the logged persons' rows only, so the untouched row is not read
    inc = run_dbt(url, "build", target_path=tmp_path)
    first = results(tmp_path)
    assert first[NOT_NULL_SESSIONS]["status"] == "pass"
    assert "core.change_log" in first[NOT_NULL_SESSIONS]["compiled_code"]
    assert all(r["status"] in ("pass", "success", "warn") for r in first.values())
    # views whose definition did not change are left alone
    assert first["model.touchline.stg_core__sessions"]["adapter_response"].get("_message") == "SELECT 1", inc.stdout
    # and so is the seed whose CSV did not change
    assert first["seed.touchline.currency_rates"]["adapter_response"].get("_message") == "UNCHANGED", inc.stdout
    with psycopg.connect(url, autocommit=True) as conn:
        bound = conn.execute("SELECT max(seq) FROM core.change_log").fetchone()[0]
        assert data_tests_watermark(conn) == bound > top
        assert conn.execute("SELECT channel FROM marts.sessions WHERE session_id = %s", (untouched,)).fetchone() == (
            None,
        )

        # core hands a logged person an order in a session it does not have: the scoped test catches it
        conn.execute(
            """
            INSERT INTO core.events (project_id, message_id, event_type, event_name, anonymous_id, user_id, device_id,
                event_at, event_date, received_at, properties, traits, is_bot, session_id, user_key, blended_user_id)
            VALUES (%s, 'ghost_1', 'track', 'Order Completed', 'u_bob', 'u_bob', 'u_bob', '2024-03-09 10:00+00',
                '2024-03-09', '2024-03-09 10:00+00', '{"revenue": 5, "order_id": "G1"}', '{}', false, 'ghost_session',
                'u_bob', 'u_bob')""",
            (SHOP,),
        )
        conn.execute(
            "INSERT INTO core.change_log (project_id, kind, entity_id) VALUES (%s, 'person', 'u_bob')", (SHOP,)
        )

    failed = run_dbt(url, "build", target_path=tmp_path, check=False)
    assert failed.returncode != 0
    assert results(tmp_path)[RELATIONSHIP]["status"] == "fail", failed.stdout[-3000:]
    with psycopg.connect(url, autocommit=True) as conn:
        assert data_tests_watermark(conn) == bound  # a failing build does not move it

    # nothing new in core: the rows that failed are tested again, and fail again
    again = run_dbt(url, "build", target_path=tmp_path, check=False)
    assert again.returncode != 0
    assert results(tmp_path)[RELATIONSHIP]["status"] == "fail"
    assert results(tmp_path)[NOT_NULL_SESSIONS]["status"] == "pass"

    # no passing build to start from: every test reads its whole table and finds the untouched row too
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM ops.mart_watermarks WHERE mart = 'dbt.data_tests'")
    whole = run_dbt(url, "build", target_path=tmp_path, check=False)
    assert whole.returncode != 0
    last = results(tmp_path)
    assert last[NOT_NULL_SESSIONS]["status"] == "fail"
    assert "change_log" not in last[NOT_NULL_SESSIONS]["compiled_code"]
    with psycopg.connect(url, autocommit=True) as conn:  # its rows name the column: the untouched row's channel
        assert conn.execute(last[NOT_NULL_SESSIONS]["compiled_code"]).fetchall() == [("channel", 1)]
    assert last[RELATIONSHIP]["status"] == "fail"
