"""The invariant of issue 11: after any sequence of incremental runs, every mart equals a full refresh,
value for value, whatever the dates of what core changed.

Raw events go through the real core build (orchestration/core) and real `dbt build` runs, in a database
of their own. Four incremental runs bring: late events 9 and 400 days old, a device re-stitched by a
late identification, a shared device changing hands, an alias re-map, a page that merges two sessions
(one vanishes), touchline.js heartbeats and a page end arriving a run after their page views (then the
device identified), an event dated 2099 and one dated 1970, duplicates of an order (a later copy, then a
late copy dated before the first), a server-side order and a currency without a rate.
After each run, the marts are compared with a `dbt build --full-refresh` of the same core (row text,
so numerics must match digit for digit); at the end also with a core full refresh followed by an
incremental dbt build (the change log's `all` path).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import psycopg
import pytest
from conftest import run_dbt

from orchestration.marts.assets import BUILD_ARGS  # what the Dagster assets run
from tests.orchestration.pipeline_helpers import CHROME, insert_raw, reset, run_core

MARTS = ["page_views", "sessions", "conversions", "attribution", "users", "retention_cohorts", "session_summary_daily"]
TABLES = [f"marts.{m}" for m in MARTS] + [
    "intermediate.int_conversions_deduplicated",
    "intermediate.int_people_activity_periods",
]
P = "inv"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)  # "today" of the runs (received_at)


def raw(
    mid: str,
    typ: str,
    at: dt.datetime,
    anon: str | None = None,
    user: str | None = None,
    *,
    name: str | None = None,
    props: dict | None = None,
    prev: str | None = None,
    received: dt.datetime | None = None,
    url: str = "https://shop.example/",
    ua: str | None = CHROME,
    traits: dict | None = None,
):
    """A raw.events row: event time `at`, received at `received` (default: `at` + 1 s, a live event)."""
    received = received or at + dt.timedelta(seconds=1)
    payload = {
        "messageId": mid,
        "type": typ,
        "anonymousId": anon,
        "userId": user,
        "event": name,
        "previousId": prev,
        "properties": props or {},
        "traits": traits,
        "context": {"page": {"url": url}} if ua else {},
    }
    # sentAt = receipt (the client's clock is right; the event waited in its queue): event time = `at`
    return (
        P,
        mid,
        typ,
        name,
        anon,
        user,
        prev,
        at,
        received,
        received,
        "81.2.69.160" if ua else None,
        ua,
        "k",
        json.dumps(payload),
    )


def day(n: float, hours: float = 0) -> dt.datetime:
    """n days before NOW (+ hours)."""
    return NOW - dt.timedelta(days=n) + dt.timedelta(hours=hours)


def digest(conn: psycopg.Connection) -> dict[str, str]:
    """Every mart's rows as text, sorted: equal digests are byte-identical tables."""
    out = {}
    for table in TABLES:
        rows = conn.execute(f"SELECT t::text FROM {table} t ORDER BY 1").fetchall()
        out[table] = f"{len(rows)}:" + hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()
    return out


def differing_rows(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(
        f"SELECT (SELECT count(*) FROM (SELECT t::text FROM {table} t EXCEPT ALL SELECT t::text FROM snap.{table.split('.')[1]} t) a)"
        f" + (SELECT count(*) FROM (SELECT t::text FROM snap.{table.split('.')[1]} t EXCEPT ALL SELECT t::text FROM {table} t) b)"
    ).fetchone()[0]


# The runs: each a list of raw rows, received at its "today".
RUNS = [
    # run 1: the history
    [
        raw("a1", "page", day(20), "d1"),
        raw("a2", "page", day(20, 0.1), "d1"),
        raw("a3", "identify", day(20, 0.2), "d1", "u1"),
        raw(
            "a4",
            "track",
            day(10),
            "d1",
            "u1",
            name="Order Completed",
            props={"order_id": "O1", "revenue": "100.00", "currency": "EUR"},
        ),
        raw("b1", "identify", day(15), "d2", "u2"),
        raw("b2", "page", day(15, 0.1), "d2"),
        raw("b3", "page", day(5), "d2"),  # u2's, until the device changes hands
        raw("c1", "page", day(30), "d3"),
        raw("c2", "page", day(12), "d3"),  # anonymous for now
        raw("e1", "identify", day(8), "d5", "old_id"),
        raw("e2", "page", day(8, 0.1), "d5"),
        raw("e3", "track", day(8, 0.2), "d5", "old_id", name="Signed Up"),
        raw("f1", "page", day(3), "d6"),
        raw("f2", "page", day(3, 0.4), "d6"),  # 24 min apart ...
        raw("f3", "page", day(3, 1.2), "d6"),  # ... 48 min: two sessions
        raw("g1", "page", day(2), "d7", url="https://shop.example/?utm_source=news&utm_medium=email"),
        # touchline.js: two page views, a heartbeat and a scroll of the first
        raw("t1", "page", day(4), "d12"),
        raw(
            "t2",
            "track",
            day(4, 0.005),
            "d12",
            name="Page Ping",
            props={"page_view_id": "t1", "engaged_seconds": 15, "max_scroll_depth": 0},
        ),
        raw("t3", "track", day(4, 0.006), "d12", name="Page Scrolled", props={"page_view_id": "t1", "depth": 25}),
        raw("t4", "page", day(4, 0.02), "d12", url="https://shop.example/pricing"),
    ],
    # run 2: late events and a re-stitch
    [
        raw("a5", "page", day(9), "d1", received=day(1)),  # 9 days late: a new session for u1
        raw("c3", "identify", day(1), "d3", "u3"),  # d3's anonymous past becomes u3's
        raw(
            "c4",
            "track",
            day(1, 0.1),
            "d3",
            "u3",
            name="Order Completed",
            props={"order_id": "O1", "revenue": "100.00", "currency": "EUR"},
        ),  # a later copy of order O1
        raw("h1", "page", day(400), "d8", received=day(1)),  # 400 days late
        raw(
            "h2",
            "track",
            day(400, 0.1),
            "d8",
            name="Order Completed",
            received=day(1),
            props={"order_id": "O8", "revenue": 40, "currency": "XTS"},
        ),  # a currency without a rate
        raw(
            "t5",
            "track",
            day(4, 0.01),
            "d12",
            name="Page Ping",
            received=day(1),  # late heartbeat of t1
            props={"page_view_id": "t1", "engaged_seconds": 30, "max_scroll_depth": 25},
        ),
        raw(
            "t6",
            "track",
            day(4, 0.9),
            "d12",
            name="Page Ended",
            received=day(1),  # t4's end, 53 min later
            props={"page_view_id": "t4", "engaged_seconds": 200, "max_scroll_depth": 75},
        ),
    ],
    # run 3: identity changes, a merge, odd dates, a late earlier copy of an order
    [
        raw("b4", "identify", day(0.5), "d2", "u9"),
        raw("b5", "page", day(0.5, 0.1), "d2"),  # d2 changes hands
        raw("e4", "alias", day(0.5), None, "u5", prev="old_id"),  # old_id is u5 now
        raw("f4", "page", day(3, 0.8), "d6", received=day(0.5)),  # bridges d6's two sessions
        raw("x1", "page", dt.datetime(2099, 1, 1, tzinfo=dt.UTC), "d9", received=day(0.5)),
        raw("x2", "page", dt.datetime(1970, 1, 1, tzinfo=dt.UTC), "d10", received=day(0.5)),
        raw(
            "a6",
            "track",
            day(11),
            "d1",
            "u1",
            name="Order Completed",
            received=day(0.5),
            props={"order_id": "O1", "revenue": "100.00", "currency": "EUR"},
        ),  # earlier than a4: counts now
    ],
    # run 4: a normal day after the far-future event, and a server-side order (sessionless ones: test_marts_values.py)
    [
        raw("k1", "page", day(0.1), "d11", url="https://shop.example/?gclid=G1"),
        raw("t7", "identify", day(0.1), "d12", "u12"),  # d12's past becomes u12's
        raw("t8", "page", day(0.05), None, "u2"),
        raw("t9", "page", day(0.04), None, "u2"),  # sessionless views
        raw("k2", "track", day(0.1, 0.05), "d11", name="Order Completed", props={"order_id": "O11", "revenue": 12}),
        raw(
            "s1",
            "track",
            day(0.05),
            None,
            "u2",
            name="Order Completed",
            ua=None,
            props={"order_id": "O12", "revenue": 30, "currency": "USD"},
        ),
    ],
]


@pytest.fixture
def inv_db(database_url):
    from tests.db_helpers import migrated_database
    from touchline import db

    with migrated_database(database_url, f"{db.url_parts(database_url).database}_marts_inv") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            reset(conn)
            conn.execute("SELECT raw.ensure_event_partitions('2025-09-01', 18)")
            conn.execute("INSERT INTO ops.projects (project_id, name) VALUES (%s, %s)", (P, P))
        yield url


def test_every_mart_equals_a_full_refresh_after_incremental_runs(inv_db, tmp_path):
    url = inv_db
    with psycopg.connect(url, autocommit=True) as conn:
        for n, rows in enumerate(RUNS, start=1):
            insert_raw(conn, rows)
            run_core(conn)
            if n == 1:
                run_dbt(url, *BUILD_ARGS, "--full-refresh", target_path=tmp_path)
                continue
            inc = run_dbt(url, *BUILD_ARGS, target_path=tmp_path)
            assert "PASS=" in inc.stdout
            incremental = digest(conn)
            conn.execute("DROP SCHEMA IF EXISTS snap CASCADE")
            conn.execute("CREATE SCHEMA snap")
            for table in TABLES:
                conn.execute(f"CREATE TABLE snap.{table.split('.')[1]} AS SELECT * FROM {table}")
            run_dbt(url, *BUILD_ARGS, "--full-refresh", target_path=tmp_path)
            assert {t: differing_rows(conn, t) for t in TABLES} == dict.fromkeys(TABLES, 0), f"run {n}"
            assert digest(conn) == incremental, f"run {n}: not byte-identical"
            # the next run starts from the incremental state, not from the full refresh
            for table in TABLES:
                conn.execute(f"TRUNCATE {table}")
                conn.execute(f"INSERT INTO {table} SELECT * FROM snap.{table.split('.')[1]}")

        # what the runs were about reached the marts
        sessions = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT e.message_id, s.blended_user_id, s.session_number FROM core.events e"
                " JOIN marts.sessions s ON s.project_id = e.project_id AND s.session_id = e.session_id"
            )
        }
        # 9 days late, between u1's sessions: numbered among them
        # u1's sessions: day 20, the late order a6 (day 11), a4 (day 10), the late page a5 (day 9)
        assert [sessions[m] for m in ("a1", "a6", "a4", "a5")] == [("u1", 1), ("u1", 2), ("u1", 3), ("u1", 4)]
        assert sessions["c1"][0] == sessions["c2"][0] == "u3"  # re-stitched 30 and 12 days back
        assert sessions["b3"][0] == "u2" and sessions["b5"][0] == "u9"  # the shared device changed hands
        assert sessions["e2"][0] == "u5"  # alias re-map
        assert (
            sessions["f1"] == sessions["f3"]
            and conn.execute(
                "SELECT count(*) FROM marts.sessions s JOIN core.events e USING (project_id, session_id)"
                " WHERE e.device_id = 'd6'"
            ).fetchone()[0]
            == 4
        )  # merged: one session of four events
        assert sessions["h1"][0] == "d8" and "x1" in sessions and "x2" in sessions
        assert "k1" in sessions  # new data after the 2099 event
        conversions = dict(conn.execute("SELECT conversion_id, reporting_revenue FROM marts.conversions"))
        # order O1: three copies, the earliest by event time (a6, late) counts
        assert {"a4", "c4"}.isdisjoint(conversions) and "a6" in conversions
        assert conn.execute(
            "SELECT conversion_id, is_duplicate, duplicate_of_conversion_id"
            " FROM intermediate.int_conversions_deduplicated WHERE dedup_key = 'order_id=O1'"
            " ORDER BY 1"
        ).fetchall() == [("a4", True, "a6"), ("a6", False, None), ("c4", True, "a6")]
        assert conversions["h2"] is None  # XTS has no rate
        assert conn.execute("SELECT blended_user_id FROM marts.conversions WHERE conversion_id = 's1'").fetchone() == (
            "u2",
        )  # a server-side order of a known person
        views = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT page_view_id, blended_user_id, page_view_index, is_exit, seconds_to_next_view, engaged_seconds,"
                " max_scroll_depth, heartbeats, has_page_end FROM marts.page_views WHERE device_id = 'd12'"
            )
        }
        assert views == {
            "t1": ("u12", 1, False, 72.0, 30, 25, 2, False),
            "t4": ("u12", 2, True, None, 200, 75, 0, True),
        }
        assert conn.execute(
            "SELECT page_view_id, session_id, page_view_index, is_exit, engaged_seconds"
            " FROM marts.page_views WHERE page_view_id IN ('t8', 't9') ORDER BY 1"
        ).fetchall() == [("t8", None, None, None, None), ("t9", None, None, None, None)]
        assert conn.execute(
            "SELECT page_views, events, duration_seconds, engaged_seconds FROM marts.sessions WHERE device_id = 'd12'"
        ).fetchall() == [(2, 5, 0.02 * 3600 + 200, 230)]
        # sessions computes its engaged time from the events, as page_views does: the two agree everywhere
        differ, engaged = conn.execute(
            "SELECT count(*) FILTER (WHERE s.engaged_seconds IS DISTINCT FROM v.engaged_seconds),"
            " count(*) FILTER (WHERE v.engaged_seconds IS NOT NULL) FROM marts.sessions AS s LEFT JOIN ("
            "  SELECT project_id, session_id, sum(engaged_seconds) AS engaged_seconds FROM marts.page_views"
            "  GROUP BY 1, 2) AS v USING (project_id, session_id)"
        ).fetchone()
        assert (differ, engaged > 0) == (0, True)
        final = digest(conn)

        # a core full refresh logs `all`: an incremental dbt build then rebuilds every mart, to the same tables
        conn.execute("TRUNCATE core.raw_batch")
        from orchestration.core import build

        build.full_refresh(conn)
        run_core(conn)
        assert conn.execute("SELECT count(*) FROM core.change_log WHERE kind = 'all'").fetchone()[0] == 1
        run_dbt(url, *BUILD_ARGS, target_path=tmp_path)
        assert digest(conn) == final
