"""core build on hand-made journeys: each rule of docs/architecture.md §4 with exact expectations."""

import pytest

from tests.orchestration.pipeline_helpers import event, insert_raw, reset, run_core


@pytest.fixture
def db(conn):
    reset(conn)
    return conn


def sessions_of(conn, device):
    rows = conn.execute(
        "SELECT message_id, session_id, session_event_sequence, user_key FROM core.events"
        " WHERE device_id = %s ORDER BY event_at",
        (device,),
    ).fetchall()
    groups, order = {}, []
    for mid, sid, seq, user in rows:
        if sid not in groups:
            order.append(sid)
            groups[sid] = []
        groups[sid].append((mid, seq, user))
    return [groups[s] for s in order]


def test_inactivity_campaign_and_user_change_split_sessions(db):
    insert_raw(
        db,
        [
            event("a1", "page", 0, anon="d1", url="https://shop.example/?utm_source=google&utm_medium=cpc&gclid=G1"),
            event("a2", "page", 5, anon="d1", url="https://shop.example/p?gclid=G1"),  # same click id: same session
            event(
                "a3", "page", 10, anon="d1", url="https://shop.example/?utm_source=news&utm_medium=email"
            ),  # new campaign
            event("a4", "identify", 12, anon="d1", user="u1"),
            event("a5", "page", 60, anon="d1"),  # 48 min idle: new session
            event("a6", "identify", 61, anon="d1", user="u2"),  # second person on device
            event("a7", "page", 62, anon="d1"),
            event("a8", "page", 64, anon="d1"),
            event("a9", "identify", 65, anon="d1", user="u3"),  # user change inside a session
            event("a10", "page", 66, anon="d1"),
        ],
    )
    run_core(db)
    s = sessions_of(db, "d1")
    # a1-a2: u1 (retroactive: device's first user); a3-a4: u1; a5-a8: u2 (identified in session); a9-a10: u3
    assert [[m for m, _, _ in g] for g in s] == [["a1", "a2"], ["a3", "a4"], ["a5", "a6", "a7", "a8"], ["a9", "a10"]]
    assert [[q for _, q, _ in g] for g in s] == [[1, 2], [1, 2], [1, 2, 3, 4], [1, 2]]
    assert [{u for _, _, u in g} for g in s] == [{"u1"}, {"u1"}, {"u2"}, {"u3"}]
    merges = db.execute(
        "SELECT rule, from_user_key, to_user_key, cause_message_id FROM core.identity_merge_log"
        " WHERE id_kind = 'device' ORDER BY merged_at"
    ).fetchall()
    assert merges == [
        ("first_identification", None, "u1", "a4"),
        ("user_change", "u1", "u2", "a6"),
        ("user_change", "u2", "u3", "a9"),
    ]
    intervals = db.execute(
        "SELECT user_key, valid_to IS NULL FROM core.identity_map WHERE device_id = 'd1' ORDER BY valid_from"
    ).fetchall()
    assert intervals == [("u1", False), ("u2", False), ("u3", True)]


def test_clock_skew_corrected_and_24h_cap(db):
    # the client clock is 3 h fast: timestamps and sentAt alike; corrected time is the true time
    insert_raw(db, [event("s1", "page", 0, anon="d2", skew_min=180), event("s2", "page", 10, anon="d2", skew_min=180)])
    # continuous activity every 20 minutes for 26 hours
    insert_raw(db, [event(f"c{i}", "page", i * 20, anon="d3") for i in range(79)])
    run_core(db)
    skewed = db.execute(
        "SELECT message_id, event_at, received_at FROM core.events WHERE device_id = 'd2' ORDER BY 1"
    ).fetchall()
    assert all(abs((rec - at).total_seconds()) < 1 for _, at, rec in skewed)
    assert len(sessions_of(db, "d2")) == 1
    spans = db.execute(
        "SELECT extract(epoch FROM ended_at - started_at) FROM core.sessions WHERE device_id = 'd3' ORDER BY started_at"
    ).fetchall()
    assert len(spans) == 2 and all(s[0] < 24 * 3600 for s in spans)


def test_alias_chain_resolves_and_conflicts_follow_rule(db):
    insert_raw(
        db,
        [
            event("b1", "identify", 0, anon="d4", user="old@x.io"),
            event("b2", "alias", 1, anon="d4", user="usr_1", prev="old@x.io"),
            event("b3", "alias", 2, user="usr_final", prev="usr_1"),  # chain: old -> usr_1 -> usr_final
            event("b4", "alias", 3, user="usr_other", prev="usr_1"),  # conflict: usr_1 already merged
            event("b5", "alias", 4, user="old@x.io", prev="usr_final"),  # would close a cycle
            event("b6", "page", 5, anon="d5", user="old@x.io"),  # another device, old id
        ],
    )
    run_core(db)
    aliases = dict(db.execute("SELECT user_id, canonical_user_id FROM core.user_aliases").fetchall())
    assert aliases == {"old@x.io": "usr_final", "usr_1": "usr_final"}
    users = {r[0] for r in db.execute("SELECT DISTINCT user_key FROM core.events WHERE device_id IN ('d4', 'd5')")}
    assert users == {"usr_final"}
    rules = dict(db.execute("SELECT cause_message_id, rule FROM core.identity_merge_log WHERE id_kind = 'user'"))
    assert rules == {"b2": "alias", "b3": "alias", "b4": "alias_conflict_ignored", "b5": "alias_cycle_ignored"}
    devices = db.execute("SELECT devices FROM core.user_profiles WHERE user_key = 'usr_final'").fetchone()[0]
    assert set(devices) >= {"d4", "d5"}


def test_bots_flagged_and_left_out(db):
    insert_raw(
        db,
        [
            event(
                "g1",
                "page",
                0,
                anon="bot",
                ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ),
            event("h1", "page", 0, anon="human"),
        ],
    )
    run_core(db)
    rows = {m: (b, n) for m, b, n in db.execute("SELECT message_id, is_bot, session_id IS NULL FROM core.events")}
    assert rows == {"g1": (True, True), "h1": (False, False)}
    assert db.execute("SELECT count(*) FROM core.sessions").fetchone()[0] == 1


def test_traffic_classification_from_rules(db):
    insert_raw(
        db,
        [
            event("t1", "page", 0, anon="e1", url="https://shop.example/?utm_source=facebook&utm_medium=paid_social"),
            event("t2", "page", 0, anon="e2", ref="https://www.google.com/"),
            event("t3", "page", 0, anon="e3", url="https://shop.example/?utm_source=newsletter&utm_medium=email"),
            event("t4", "page", 0, anon="e4", ref="https://blog.example.org/post"),
            event("t5", "page", 0, anon="e5"),
            event("t6", "page", 0, anon="e6", url="https://shop.example/?msclkid=abc%20def"),
            event("t7", "page", 0, anon="e7", ref="https://t.co/xyz"),
        ],
    )
    run_core(db)
    got = {m: (r, c) for m, r, c in db.execute("SELECT message_id, referrer_class, channel FROM core.events")}
    assert got == {
        "t1": ("direct", "Paid Social"),
        "t2": ("search", "Organic Search"),
        "t3": ("direct", "Email"),
        "t4": ("referral", "Referral"),
        "t5": ("direct", "Direct"),
        "t6": ("direct", "Paid Search"),
        "t7": ("social", "Organic Social"),
    }
    assert db.execute("SELECT msclkid FROM core.events WHERE message_id = 't6'").fetchone()[0] == "abc def"


def test_profile_merge_rules_by_event_time(db):
    insert_raw(
        db,
        [
            event(
                "p1",
                "identify",
                0,
                anon="d6",
                user="u9",
                traits={"email": "a@x.io", "plan": "free", "created_at": "2026-01-01"},
            ),
            event(
                "p2",
                "identify",
                100,
                anon="d6",
                user="u9",
                traits={"email": "b@x.io", "plan": "pro", "created_at": "2026-05-05"},
            ),
        ],
    )
    run_core(db)
    # a late event from before p1 arrives in a later run: set_once takes it, latest stays with p2
    insert_raw(
        db,
        [
            event(
                "p0",
                "identify",
                -50,
                anon="d6",
                user="u9",
                received_delay_min=3000,
                traits={"email": "z@x.io", "plan": "trial", "created_at": "2025-12-12"},
            )
        ],
    )
    run_core(db)
    email, plan, traits, emails = db.execute(
        "SELECT email, plan, traits, emails_seen FROM core.user_profiles WHERE user_key = 'u9'"
    ).fetchone()
    assert (email, plan) == ("b@x.io", "pro")
    assert traits["created_at"] == "2025-12-12"
    assert emails == ["z@x.io", "a@x.io", "b@x.io"]


def _check(fn, url):
    from orchestration.resources import PostgresResource

    return fn.node_def.compute_fn.decorated_fn(PostgresResource(database_url=url))


def test_set_once_check_allows_late_earlier_events_and_catches_rewrites(db, database_url):
    from orchestration.core.checks import set_once_traits_stable

    insert_raw(db, [event("q1", "identify", 0, anon="d7", user="u7", traits={"created_at": "2026-02-02"})])
    run_core(db)
    assert _check(set_once_traits_stable, database_url).passed
    # an earlier identify arrives days late: the set_once value legitimately moves to it
    insert_raw(
        db,
        [
            event(
                "q0",
                "identify",
                -60,
                anon="d7",
                user="u7",
                received_delay_min=4000,
                traits={"created_at": "2026-01-01"},
            )
        ],
    )
    run_core(db)
    assert _check(set_once_traits_stable, database_url).passed
    # a set_once value that changes without an earlier event is a defect the check must stop
    db.execute("""UPDATE core.events SET traits = '{"created_at": "2030-01-01"}' WHERE message_id = 'q0'""")
    result = _check(set_once_traits_stable, database_url)
    assert not result.passed and result.metadata["changed_set_once_values"].value == 1


def test_heartbeats_keep_a_session_alive_page_end_never_starts_one(db):
    # touchline.js: "Page Ping" heartbeats while the user is active, "Page Ended" on pagehide
    insert_raw(
        db,
        [
            event("h1", "page", 0, anon="d9"),
            event("h2", "track", 20, anon="d9", name="Page Ping"),
            event("h3", "track", 45, anon="d9", name="Page Ping"),  # 45 min after the page view: still one session
            event("h4", "page", 70, anon="d9"),  # 25 min after the last ping: same session
            event("h5", "track", 80, anon="d9", name="Page Ended"),  # within the timeout: joins the session
            event("h6", "page", 200, anon="d9"),  # a new visit
            event("h7", "track", 300, anon="d9", name="Page Ended"),  # 100 min idle: joins nothing, starts nothing
            event("h8", "track", 240, anon="d8", name="Page Ended"),  # alone on its device: sessionless
        ],
    )
    run_core(db)
    assert [[m for m, _, _ in g] for g in sessions_of(db, "d9")] == [["h1", "h2", "h3", "h4", "h5"], ["h6"], ["h7"]]
    rows = db.execute(
        "SELECT event_count, page_view_count, extract(epoch FROM ended_at - started_at)::int"
        " FROM core.sessions WHERE device_id = 'd9' ORDER BY started_at"
    ).fetchall()
    assert rows == [(5, 2, 80 * 60), (1, 1, 0)]  # pings count as events, never as page views
    sessionless = db.execute(
        "SELECT message_id FROM core.events WHERE session_id IS NULL AND device_id IN ('d8', 'd9') ORDER BY message_id"
    ).fetchall()
    assert sessionless == [("h7",), ("h8",)]
