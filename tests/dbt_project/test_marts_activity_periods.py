"""int_people_activity_periods and retention_cohorts read the sessions of core (stg_core__sessions), not
marts.sessions, so they do not wait for the sessions mart: the same rows, one per core session with the
same person and start, so the same values as when they read the mart."""

from __future__ import annotations

from conftest import SHOP

SESSION_KEYS = "project_id, session_id, blended_user_id, started_at"

# int_people_activity_periods as it was when it read marts.sessions (full build)
FROM_MARTS_SESSIONS = """
WITH sessions AS (
    SELECT project_id, blended_user_id, started_at AT TIME ZONE 'UTC' AS started_at_utc,
        min(started_at AT TIME ZONE 'UTC') OVER (PARTITION BY project_id, blended_user_id) AS first_seen_at_utc
    FROM marts.sessions
    WHERE (started_at AT TIME ZONE 'UTC')::date <= current_date
)
SELECT DISTINCT project_id, blended_user_id, g.grain, date_trunc(g.grain, first_seen_at_utc)::date,
    (CASE g.grain
        WHEN 'week' THEN (date_trunc('week', started_at_utc)::date - date_trunc('week', first_seen_at_utc)::date) / 7
        ELSE (extract(year FROM started_at_utc) - extract(year FROM first_seen_at_utc)) * 12
            + extract(month FROM started_at_utc) - extract(month FROM first_seen_at_utc)
    END)::integer
FROM sessions CROSS JOIN (VALUES ('week'), ('month')) AS g (grain)
"""


def test_marts_sessions_is_one_row_per_core_session(mconn):
    # bots have no core session; every core session is in the mart, with its person and start
    for a, b in (("marts.sessions", "core.sessions"), ("core.sessions", "marts.sessions")):
        assert (
            mconn.execute(f"SELECT {SESSION_KEYS} FROM {a} EXCEPT ALL SELECT {SESSION_KEYS} FROM {b}").fetchall() == []
        )
    assert mconn.execute("SELECT count(*) FROM marts.sessions WHERE project_id = %s", (SHOP,)).fetchone()[0] == 11


def test_activity_periods_are_those_of_marts_sessions(mconn):
    actual = "SELECT project_id, blended_user_id, cohort_grain, cohort_start, period_number FROM intermediate.int_people_activity_periods"
    assert mconn.execute(f"({actual}) EXCEPT ALL ({FROM_MARTS_SESSIONS})").fetchall() == []
    assert mconn.execute(f"({FROM_MARTS_SESSIONS}) EXCEPT ALL ({actual})").fetchall() == []
    assert mconn.execute("SELECT count(*) FROM intermediate.int_people_activity_periods").fetchone()[0] > 0
