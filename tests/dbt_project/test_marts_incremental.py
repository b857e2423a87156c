"""Incremental runs equal a full refresh: build state A, let core change to state B (new sessions, a
device identified long after its first session, an alias merge, a late event re-cutting a session),
run `dbt build` incrementally (it recomputes what load_core logged in core.change_log, as a core build
would), then compare every mart with `dbt build --full-refresh`."""

from __future__ import annotations

import re

import psycopg
import pytest
from conftest import load_core, run_dbt

MARTS = ["sessions", "conversions", "attribution", "users", "retention_cohorts", "session_summary_daily"]


@pytest.fixture
def fresh_db_url(database_url):
    from tests.db_helpers import migrated_database
    from touchline import db

    with migrated_database(database_url, f"{db.url_parts(database_url).database}_marts_inc") as url:
        yield url


def snapshot(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS incremental_snapshot CASCADE")
        conn.execute("CREATE SCHEMA incremental_snapshot")
        for mart in MARTS:
            conn.execute(f"CREATE TABLE incremental_snapshot.{mart} AS SELECT * FROM marts.{mart}")


def differences(url: str) -> dict[str, int]:
    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for mart in MARTS:
            n = conn.execute(
                f"SELECT (SELECT count(*) FROM (SELECT * FROM marts.{mart} EXCEPT ALL"
                f"  SELECT * FROM incremental_snapshot.{mart}) a)"
                f" + (SELECT count(*) FROM (SELECT * FROM incremental_snapshot.{mart} EXCEPT ALL"
                f"  SELECT * FROM marts.{mart}) b)"
            ).fetchone()[0]
            out[mart] = n
    return out


def test_incremental_equals_full_refresh(fresh_db_url, tmp_path):
    load_core(fresh_db_url, "A")
    run_dbt(fresh_db_url, "build", "--full-refresh", target_path=tmp_path)
    with psycopg.connect(fresh_db_url) as conn:
        before = conn.execute(
            "SELECT blended_user_id FROM marts.sessions WHERE project_id = 'dbt_shop' AND session_id = 's_e1'"
        ).fetchone()
        assert before == ("a5",)

    load_core(fresh_db_url, "B")
    inc = run_dbt(fresh_db_url, "build", target_path=tmp_path)
    assert "incremental model marts.attribution" in inc.stdout
    snapshot(fresh_db_url)
    with psycopg.connect(fresh_db_url) as conn:
        # s_e1 (2024-02-12, weeks before the newest data) followed its device to u_dave: its persons were logged
        assert conn.execute(
            "SELECT blended_user_id FROM incremental_snapshot.sessions"
            " WHERE project_id = 'dbt_shop' AND session_id = 's_e1'"
        ).fetchone() == ("u_dave",)
        # the re-cut session is gone, its successor is there
        assert {
            r[0]
            for r in conn.execute(
                "SELECT session_id FROM incremental_snapshot.sessions WHERE session_id IN ('s_d0', 's_d1')"
            )
        } == {"s_d0"}

    run_dbt(fresh_db_url, "build", "--full-refresh", target_path=tmp_path)
    assert differences(fresh_db_url) == dict.fromkeys(MARTS, 0)


def _commented_marts(log: str) -> set[str]:
    """The marts whose comments a dbt.log's statements wrote."""
    return set(re.findall(r'comment on (?:column|table) "[^"]+"\."marts"\."(\w+)"', log))


def test_an_incremental_run_writes_docs_only_where_they_drifted_and_refuses_a_changed_schema(fresh_db_url, tmp_path):
    """macros/incremental_lean.sql: one catalog query per mart instead of dbt's six; what it skips
    (persist_docs, the schema check) still happens when it must."""
    load_core(fresh_db_url, "A")
    run_dbt(fresh_db_url, "build", "--full-refresh", target_path=tmp_path / "full")
    assert {"sessions", "users", "page_views"} <= _commented_marts((tmp_path / "full" / "dbt.log").read_text())
    comments = "SELECT obj_description('marts.users'::regclass), col_description('marts.sessions'::regclass, 1)"
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        documented = conn.execute(comments).fetchone()
        assert all(documented)
        conn.execute("COMMENT ON TABLE marts.users IS 'edited by hand'")
        conn.execute("COMMENT ON COLUMN marts.sessions.project_id IS NULL")

    load_core(fresh_db_url, "B")
    run_dbt(fresh_db_url, "build", target_path=tmp_path / "inc")
    # the two drifted marts got their docs back; the other incremental marts' comments were current and
    # left alone (retention_cohorts is a table, rebuilt with its comments on every run)
    assert _commented_marts((tmp_path / "inc" / "dbt.log").read_text()) == {"sessions", "users", "retention_cohorts"}
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        assert conn.execute(comments).fetchone() == documented
        conn.execute("ALTER TABLE marts.conversions ADD COLUMN added_by_hand integer")

    failed = run_dbt(fresh_db_url, "build", target_path=tmp_path / "changed", check=False)
    assert failed.returncode != 0
    assert "out of sync" in failed.stdout  # on_schema_change='fail', as dbt's own materialization says it
    run_dbt(fresh_db_url, "build", "--full-refresh", target_path=tmp_path / "rebuilt")
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        assert not conn.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'conversions' AND column_name = 'added_by_hand'"
        ).fetchone()
