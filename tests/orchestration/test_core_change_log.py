"""core.change_log: what each core build tells the marts to recompute (orchestration/core/sql/change_log.sql)."""

import pytest

from tests.orchestration.pipeline_helpers import T0, event, insert_raw, reset, run_core


@pytest.fixture
def db(conn):
    reset(conn)
    conn.execute("TRUNCATE core.change_log, ops.mart_watermarks")
    return conn


def logged(conn, after: int) -> set[tuple]:
    return set(conn.execute("SELECT kind, entity_id, day FROM core.change_log WHERE seq > %s", (after,)).fetchall())


def test_builds_log_persons_and_sessions_they_change(db):
    insert_raw(
        db,
        [
            event("a1", "page", 0, anon="d1"),
            event("a2", "page", 10, anon="d1"),
            event("a3", "page", 50, anon="d1"),  # 40 min later: a second session
            event("b1", "identify", 0, anon="d2", user="u2"),
        ],
    )
    run_core(db)
    # the first build (core was empty): `all`, nothing finer
    assert logged(db, 0) == {("all", None, None)}
    first = db.execute("SELECT max(seq) FROM core.change_log").fetchone()[0]
    sessions = dict(db.execute("SELECT e.message_id, e.session_id FROM core.events e WHERE device_id = 'd1'"))
    assert sessions["a1"] != sessions["a3"]

    # a late page bridges d1's sessions (one vanishes), d1 identifies as u1 two days later; d2 is untouched
    insert_raw(
        db,
        [
            event("a4", "page", 30, anon="d1", received_delay_min=2 * 24 * 60),
            event("a5", "identify", 2 * 24 * 60, anon="d1", user="u1"),
        ],
    )
    run_core(db)
    merged = db.execute("SELECT DISTINCT session_id FROM core.events WHERE message_id IN ('a1', 'a3')").fetchall()
    assert len(merged) == 1
    day0 = T0.date()
    # an identify never starts a session: a5, two days after d1's last page, is sessionless
    assert db.execute("SELECT session_id FROM core.events WHERE message_id = 'a5'").fetchone()[0] is None
    assert logged(db, first) == {
        ("person", "d1", None),
        ("person", "u1", None),  # before and after the re-stitch
        ("session", sessions["a1"], day0),
        ("session", sessions["a3"], day0),  # rewritten / vanished
    }
    assert ("person", "u2", None) not in logged(db, first)


def test_consumed_rows_are_pruned_and_full_refresh_logs_all(db):
    insert_raw(db, [event("a1", "page", 0, anon="d1")])
    run_core(db)
    insert_raw(db, [event("a2", "page", 5, anon="d1")])
    run_core(db)
    top = db.execute("SELECT max(seq) FROM core.change_log").fetchone()[0]
    # every mart consumed up to `top` except one: only what all consumed goes
    db.execute("INSERT INTO ops.mart_watermarks VALUES ('marts.a', %s), ('marts.b', %s)", (top, top - 1))
    insert_raw(db, [event("a3", "page", 8, anon="d1")])
    run_core(db)
    assert db.execute("SELECT min(seq) FROM core.change_log").fetchone()[0] == top
    from orchestration.core import build

    build.full_refresh(db)
    run_core(db)
    assert db.execute("SELECT kind FROM core.change_log ORDER BY seq DESC LIMIT 1").fetchone() == ("all",)
