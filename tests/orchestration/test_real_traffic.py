"""Real-world traffic (issue 10) on hand-made journeys: server events vs bots, junk identifiers, impossible
timestamps, sessions only from interactive events, traits only from identify, poison rows quarantined
instead of halting any blocking check, and the data-quality counters."""

import datetime as dt

import pytest

from orchestration.enrichment.devices import classify
from tests.orchestration.pipeline_helpers import T0, event, insert_raw, reset, run_core

CURL = "curl/8.5.0"


@pytest.fixture
def db(conn):
    reset(conn)
    conn.execute("DELETE FROM ops.projects WHERE project_id = 'p'")  # default settings unless a test sets them
    yield conn
    conn.execute("DELETE FROM ops.projects WHERE project_id = 'p'")


@pytest.mark.parametrize(
    ("ua", "device_type"),
    [
        (
            "Mozilla/5.0 (Linux; Android 12; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36",
            "mobile",
        ),
        ("curl/8.5.0", "server"),
        ("python-requests/2.31.0", "server"),
        ("Java/17.0.2", "server"),
        ("analytics-python/2.3.2", "server"),
        ("okhttp/4.12.0", "server"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0 Safari/537.36",
            "bot",
        ),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "bot"),
    ],
)
def test_bots_come_from_the_crawler_list_and_http_clients_are_servers(ua, device_type):
    row = dict(
        zip(
            (
                "user_agent",
                "browser",
                "browser_version",
                "os",
                "os_version",
                "brand",
                "model",
                "device_type",
                "is_bot",
                "is_server",
            ),
            classify(ua),
        )
    )
    assert row["device_type"] == device_type
    assert row["is_bot"] == (device_type == "bot") and row["is_server"] == (device_type == "server")


def test_a_server_order_is_not_a_bot_and_joins_the_session_in_progress(db):
    insert_raw(
        db,
        [
            event("v1", "page", 0, anon="d1", url="https://shop.example/?utm_source=news&utm_medium=email"),
            event("v2", "identify", 1, anon="d1", user="u1"),
            event("o1", "track", 2, user="u1", name="Order Completed", ua=CURL),  # the README's curl order
            event("v3", "page", 3, anon="d1"),
            event("o2", "track", 4, user="u1", name="Order Completed", ua=None),  # a server SDK, no user agent
            event("o3", "track", 60, user="u1", name="Invoice Paid", ua=None),  # nothing in progress
            event("s1", "identify", 500, user="u2", ua=None),  # an identify-only person
            event("s2", "alias", 501, user="u2", prev="u2-old", ua=None),
        ],
    )
    run_core(db)
    rows = {
        m: r
        for m, *r in db.execute(
            "SELECT message_id, is_bot, is_server_event, session_id, session_event_sequence, user_key FROM core.events"
        )
    }
    visit = rows["v1"][2]
    assert visit is not None and rows["v1"][:2] == [False, False]
    assert rows["o1"] == [False, True, visit, 3, "u1"] and rows["o2"] == [False, True, visit, 5, "u1"]
    assert rows["v3"][2:4] == [visit, 4]
    assert rows["o3"] == [False, True, None, None, "u1"]
    assert rows["s1"] == [False, True, None, None, "u2"] and rows["s2"][2] is None
    assert db.execute(
        "SELECT session_id, event_count, channel, ended_at - started_at FROM core.sessions"
    ).fetchall() == [(visit, 5, "Email", dt.timedelta(minutes=4))]
    # the identify-only person still has a profile, seen at their events
    count, first_seen = db.execute(
        "SELECT session_count, first_seen_at FROM core.user_profiles WHERE user_key = 'u2'"
    ).fetchone()
    assert count == 0 and abs(first_seen - (T0 + dt.timedelta(minutes=500))) < dt.timedelta(seconds=1)


def test_server_events_follow_their_person_across_runs(db):
    """A late page that starts a session before a held server event pulls it in; incremental = full."""
    from orchestration.core import build
    from tests.orchestration.pipeline_helpers import snapshot

    insert_raw(
        db,
        [
            event("w1", "identify", 0, anon="d9", user="u9"),
            event("w2", "page", 1, anon="d9"),
            event("w3", "track", 50, user="u9", name="Order Completed", ua=None),
        ],
    )
    run_core(db)
    assert db.execute("SELECT session_id FROM core.events WHERE message_id = 'w3'").fetchone()[0] is None
    insert_raw(db, [event("w4", "page", 40, anon="d10", user="u9", received_delay_min=300)])  # another device
    run_core(db)
    got = dict(db.execute("SELECT message_id, session_id FROM core.events"))
    assert got["w3"] == got["w4"] is not None
    incremental = snapshot(db)
    build.full_refresh(db)
    run_core(db)
    assert snapshot(db) == incremental


def test_identify_alias_group_never_start_a_session(db):
    insert_raw(
        db,
        [
            event("i1", "identify", 0, anon="d2", user="u3"),  # nothing in progress: sessionless
            event("p1", "page", 1, anon="d2"),  # the session starts here, the user is u3
            event("g1", "group", 5, anon="d2"),  # joins the session in progress
            event("g2", "group", 60, anon="d2"),  # 55 minutes later: sessionless
            event("p2", "page", 61, anon="d2"),
        ],
    )
    run_core(db)
    got = {
        m: (s, q, u)
        for m, s, q, u in db.execute("SELECT message_id, session_id, session_event_sequence, user_key FROM core.events")
    }
    assert got["i1"][:2] == (None, None) and got["g2"][:2] == (None, None)
    assert got["p1"][0] == got["g1"][0] and (got["p1"][1], got["g1"][1]) == (1, 2)
    assert got["p2"][0] not in (None, got["p1"][0]) and got["p2"][1] == 1
    assert {u for _, _, u in got.values()} == {"u3"}


def test_junk_identifiers_do_not_merge_strangers(db):
    db.execute("INSERT INTO ops.projects (project_id, name) VALUES ('p', 'p') ON CONFLICT DO NOTHING")
    insert_raw(
        db,
        [
            event("j1", "identify", 0, anon="a1", user="null"),
            event("j2", "page", 1, anon="a1"),
            event("j3", "identify", 0, anon="a2", user=" Undefined "),
            event("j4", "page", 1, anon="a2"),
            event("j5", "page", 2, anon="00000000-0000-0000-0000-000000000000", user="u5"),
            event("j6", "page", 3, anon="anonymous", user="[object Object]"),  # nothing usable left: quarantined
            event("j7", "identify", 0, anon="a3", user="customer-7"),
        ],
    )
    db.execute(
        "UPDATE ops.projects SET blocked_identifiers = array_append(blocked_identifiers, 'customer-7')"
        " WHERE project_id = 'p'"
    )
    run_core(db)
    users = dict(db.execute("SELECT message_id, user_key FROM core.events"))
    assert users["j2"] is None and users["j4"] is None and users["j7"] is None
    assert db.execute("SELECT anonymous_id, device_id FROM core.events WHERE message_id = 'j5'").fetchone() == (
        None,
        "u5",
    )
    assert db.execute("SELECT count(*) FROM core.identity_edges").fetchone()[0] == 0
    assert dict(db.execute("SELECT message_id, reason FROM core.quarantined_events")) == {"j6": "no_usable_identifier"}
    blocked = dict(db.execute("SELECT detail, count FROM core.data_quality_daily WHERE metric = 'blocked_identifier'"))
    assert blocked == {
        "null": 1,
        " Undefined ": 1,
        "00000000-0000-0000-0000-000000000000": 1,
        "anonymous": 1,
        "[object Object]": 1,
        "customer-7": 1,
    }
    # raw keeps what was sent
    assert db.execute("SELECT user_id FROM raw.events WHERE message_id = 'j1'").fetchone()[0] == "null"


def test_impossible_timestamps_take_the_receipt_time(db):
    rows = [
        event("t1", "page", 0, anon="d4"),
        event("t2", "page", 1, anon="d4"),
        event("t3", "page", 2, anon="d4"),
        event("t4", "page", 3, anon="d4"),
        event("t5", "page", 4, anon="d4", skew_min=-600),
    ]
    insert_raw(db, rows)
    db.execute("UPDATE raw.events SET event_timestamp = '2099-01-01', sent_at = NULL WHERE message_id = 't1'")
    db.execute("UPDATE raw.events SET event_timestamp = '1970-01-01', sent_at = NULL WHERE message_id = 't2'")
    db.execute("UPDATE raw.events SET sent_at = event_timestamp - interval '6 minutes' WHERE message_id = 't3'")
    db.execute("UPDATE raw.events SET sent_at = NULL WHERE message_id = 't4'")
    db.execute("UPDATE raw.events SET event_timestamp = '0001-01-01', sent_at = '9999-01-01' WHERE message_id = 't5'")
    run_core(db)
    got = {
        m: (src, at == rec)
        for m, src, at, rec in db.execute(
            "SELECT message_id, event_time_source, event_at, received_at FROM core.events"
        )
    }
    assert got == {
        "t1": ("clamped_future", True),
        "t2": ("clamped_past", True),
        "t3": ("clamped_future", True),
        "t4": ("client", False),
        "t5": ("clamped_past", True),
    }
    assert db.execute("SELECT max(last_seen_at) < '2030-01-01' FROM core.user_profiles").fetchone()[0] in (True, None)
    kinds = dict(db.execute("SELECT detail, count FROM core.data_quality_daily WHERE metric = 'event_time'"))
    assert kinds == {"clamped_future": 2, "clamped_past": 2, "client": 1}


def test_traits_come_from_identify_and_null_clears_latest(db):
    stale = event("x2", "track", 20, anon="d5", user="u6", name="Viewed")
    insert_raw(
        db,
        [
            event(
                "x1",
                "identify",
                10,
                anon="d5",
                user="u6",
                traits={"plan": "pro", "email": "a@x.io", "created_at": "2026-01-01"},
            ),
            stale,
            event("x3", "identify", 30, anon="d5", user="u6", traits={"email": None, "created_at": None}),
        ],
    )
    # the stale track carries context.traits (analytics.js does), and top-level traits
    db.execute("""UPDATE raw.events SET payload = jsonb_set(payload, '{context,traits}', '{"plan": "free"}')
                  WHERE message_id = 'x2'""")
    db.execute("""UPDATE raw.events SET payload = jsonb_set(payload, '{traits}', '{"plan": "free"}')
                  WHERE message_id = 'x2'""")
    run_core(db)
    traits = db.execute("SELECT traits FROM core.user_profiles WHERE user_key = 'u6'").fetchone()[0]
    assert traits == {"plan": "pro", "created_at": "2026-01-01"}  # email cleared; set_once ignores the null
    # a project that says so takes context.traits of other events
    db.execute("INSERT INTO ops.projects (project_id, name) VALUES ('p', 'p') ON CONFLICT DO NOTHING")
    db.execute("UPDATE ops.projects SET traits_from_context = true WHERE project_id = 'p'")
    from orchestration.core import build

    build.full_refresh(db)
    run_core(db)
    assert db.execute("SELECT traits->>'plan' FROM core.user_profiles WHERE user_key = 'u6'").fetchone()[0] == "free"


def test_posthog_set_and_set_once(db):
    insert_raw(
        db,
        [
            event("h1", "track", 0, anon="d8", user="u8", name="$pageview"),
            event("h2", "track", 5, anon="d8", user="u8", name="$pageview"),
        ],
    )
    db.execute("""UPDATE raw.events SET payload = jsonb_set(payload, '{properties}',
                  '{"$set": {"plan": "a"}, "$set_once": {"referrer": "x"}}') WHERE message_id = 'h1'""")
    db.execute("""UPDATE raw.events SET payload = jsonb_set(payload, '{properties}',
                  '{"$set": {"plan": "b"}, "$set_once": {"referrer": "y"}}') WHERE message_id = 'h2'""")
    run_core(db)
    assert db.execute("SELECT traits FROM core.user_profiles WHERE user_key = 'u8'").fetchone()[0] == {
        "plan": "b",
        "referrer": "x",
    }


# One poison input per blocking check: the row is quarantined or taken by rule, and the check still passes.
POISON = {
    "raw_batch_valid": [
        event("r1", "bogus", 0, anon="q1"),
        event("r2", "page", 0, anon="null"),
        event("r3", "alias", 0, user="u1", prev="undefined"),
    ],
    "events_valid": [
        event("e1", "page", 0, anon="q2"),
        event("e1", "page", 5, anon="q2", received_delay_min=1),
        event("e2", "identify", 200, anon="q2", user="u1"),
        event("e3", "track", 300, anon="q2", name="Page Ended"),  # a tab closed after the timeout: no session
    ],
    "sessions_valid": [event("s1", "page", 0, anon="q3"), event("s2", "page", 1, anon="q3", skew_min=6)],
    "identity_map_valid": [event("m1", "identify", 0, anon="q4", user="0"), event("m2", "page", 1, anon="q4")],
    "user_aliases_valid": [
        event("a1", "alias", 0, anon="q5", user="u5", prev="u5"),
        event("a2", "alias", 1, anon="q5", user="u6", prev="-1"),
    ],
    "user_profiles_valid": [
        event("f1", "identify", 0, anon="q6", user="u7", traits=["not", "an", "object"]),
        event("f2", "identify", 1, anon="q6", user="u7", traits={"plan": None}),
    ],
    "set_once_traits_stable": [
        event("c1", "identify", 0, anon="q7", user="u9", traits={"created_at": None}),
        event("c2", "identify", 1, anon="q7", user="u9", traits={"created_at": "2026-01-01"}),
    ],
    "device_lookup_valid": [event("d1", "page", 0, anon="q8", ua=""), event("d2", "page", 1, anon="q9", ua="\x01??")],
    "geo_lookup_valid": [
        event("g1", "page", 0, anon="q10", ip="10.0.0.1"),
        event("g2", "page", 0, anon="q11", ip="::1"),
    ],
}


@pytest.mark.parametrize("check_name", sorted(POISON))
def test_a_poison_row_does_not_fail_the_blocking_check(db, database_url, check_name):
    from orchestration.core import checks
    from orchestration.enrichment import assets as enrichment_assets
    from orchestration.resources import PostgresResource

    insert_raw(db, POISON[check_name])
    if check_name == "sessions_valid":  # an event stamped after its own sentAt (issue 10's halting row)
        db.execute("UPDATE raw.events SET sent_at = event_timestamp - interval '6 minutes' WHERE message_id = 's2'")
    run_core(db)
    fn = getattr(checks, check_name, None) or getattr(enrichment_assets, check_name)
    result = fn.node_def.compute_fn.decorated_fn(PostgresResource(database_url=database_url))
    assert result.passed, result.metadata
    # every row is somewhere: in core or in the quarantine with a reason
    ids = {r[1] for r in POISON[check_name]}
    held = {
        m
        for (m,) in db.execute(
            "SELECT message_id FROM core.events UNION ALL SELECT message_id FROM core.quarantined_events"
        )
    }
    assert held == ids


def test_data_quality_counts_once_across_runs_and_equals_a_full_refresh(db):
    from orchestration.core import build

    db.execute("TRUNCATE raw.rejected_events")
    db.execute(
        "INSERT INTO raw.rejected_events (project_id, received_at, reason, payload) VALUES"
        " ('p', %s, 'invalid_json', '{'), ('p', %s, 'missing_ids', '{}'), (NULL, %s, 'unknown_key', 'x')",
        (T0, T0, T0),
    )
    insert_raw(
        db,
        [
            event("k1", "page", 0, anon="d1"),
            event("k2", "bogus", 1, anon="d1"),
            event("k3", "page", 2, anon="null", ua=None, user="u1"),
        ],
    )
    run_core(db)
    insert_raw(
        db,
        [
            event(
                "k4",
                "page",
                3,
                anon="d1",
                ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ),
            event("k1", "page", 0, anon="d1", received_delay_min=5),
        ],
    )  # a retried copy
    run_core(db)
    run_core(db)
    day = T0.date()
    counts = {
        (m, d): n
        for m, d, n in db.execute(
            "SELECT metric, detail, count FROM core.data_quality_daily WHERE project_id = 'p' AND day = %s", (day,)
        )
    }
    assert counts == {
        ("events", ""): 3,
        ("event_time", "skew_corrected"): 3,
        ("quarantined", "unknown_type"): 1,
        ("rejected_at_ingest", "invalid_json"): 1,
        ("rejected_at_ingest", "missing_ids"): 1,
        ("blocked_identifier", "null"): 1,
        ("bots", ""): 1,
        ("server_events", ""): 1,
    }
    incremental = db.execute("SELECT * FROM core.data_quality_daily ORDER BY 1, 2, 3, 4").fetchall()
    build.full_refresh(db)
    run_core(db)
    assert db.execute("SELECT * FROM core.data_quality_daily ORDER BY 1, 2, 3, 4").fetchall() == incremental
    db.execute("TRUNCATE raw.rejected_events")
