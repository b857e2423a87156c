"""The BI role reads marts and nothing else."""

from __future__ import annotations

import psycopg
import pytest
from conftest import SHOP


@pytest.mark.parametrize(
    "mart", ["sessions", "users", "conversions", "attribution", "retention_cohorts", "session_summary_daily"]
)
def test_bi_role_reads_marts(built_b, mart):
    with psycopg.connect(built_b[0], autocommit=True) as conn:
        conn.execute("SET ROLE touchline_bi")
        assert conn.execute(f"SELECT count(*) FROM marts.{mart} WHERE project_id = %s", (SHOP,)).fetchone()[0] > 0


@pytest.mark.parametrize(
    "table",
    [
        "core.events",
        "core.sessions",
        "core.user_profiles",
        "raw.events",
        "ops.api_keys",
        "staging.stg_core__events",
        "intermediate.int_sessions_classified",
    ],
)
def test_bi_role_cannot_read_anything_else(built_b, table):
    with psycopg.connect(built_b[0], autocommit=True) as conn:
        conn.execute("SET ROLE touchline_bi")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SELECT 1 FROM {table} LIMIT 1")


def test_bi_role_cannot_write_marts(built_b):
    with psycopg.connect(built_b[0], autocommit=True) as conn:
        conn.execute("SET ROLE touchline_bi")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM marts.sessions")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE marts.bi_scratch (x int)")
