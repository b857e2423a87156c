"""dbt build over hand-made journeys (conftest.py, state B): every mart value computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from conftest import OTHER, SHOP

MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay"]


def credits(mconn, conversion_id: str) -> dict[str, dict[str, float]]:
    rows = mconn.execute(
        "SELECT model, session_id, credit FROM marts.attribution WHERE project_id = %s AND conversion_id = %s",
        (SHOP, conversion_id),
    ).fetchall()
    out: dict[str, dict[str, float]] = {}
    for model, session_id, credit in rows:
        out.setdefault(model, {})[session_id] = float(credit)
    return out


def assert_credits(actual: dict[str, dict[str, float]], expected: dict[str, dict[str, float]]) -> None:
    assert set(actual) == set(MODELS)
    for model in MODELS:
        assert set(actual[model]) == set(expected[model]), model
        for session_id, credit in expected[model].items():
            assert actual[model][session_id] == pytest.approx(credit, abs=1e-9), (model, session_id)


def test_build_passes_every_test(built_b):
    _, _, proc = built_b
    assert "ERROR=0" in proc.stdout and "WARN=0" in proc.stdout
    assert "unit_test" in proc.stdout or "attribution_weights_per_model" in proc.stdout


def eur_to_usd(mconn, amount: Decimal) -> Decimal:
    """`amount` EUR in USD, rounded as the marts round, at the undated rate of the currency_rates seed."""
    (eur,) = mconn.execute(
        "SELECT units_per_usd FROM staging.currency_rates WHERE currency = 'EUR' AND rate_date IS NULL"
    ).fetchone()
    return round(amount / eur, 6)


def test_conversions(mconn):
    rows = mconn.execute(
        "SELECT conversion_id, blended_user_id, user_id, session_id, event_name, converted_at::text, revenue, currency"
        " FROM marts.conversions WHERE project_id = %s ORDER BY converted_at",
        (SHOP,),
    ).fetchall()
    assert rows == [
        ("s_a1_1", "u_alice", "u_alice", "s_a1", "Signed Up", "2024-02-27 09:00:00+00", Decimal(0), None),
        ("s_b2_2", "u_bob", "u_bob", "s_b2", "Order Completed", "2024-03-07 15:02:00+00", Decimal("50.00"), "EUR"),
        # server-side, sessionless: still a conversion
        ("srv_1", "u_bob", "u_bob", None, "Order Completed", "2024-03-08 10:00:00+00", Decimal(30), "USD"),
        # value "abc" is not a number: revenue 0
        ("s_e2_3", "u_dave", "u_dave", "s_e2", "Signed Up", "2024-03-11 10:00:40+00", Decimal(0), None),
        # revenue wins over total
        ("s_a3_1", "u_alice", "u_alice", "s_a3", "Order Completed", "2024-03-12 09:00:00+00", Decimal(100), None),
    ]  # the bot's Order Completed is not there
    assert mconn.execute("SELECT count(*) FROM marts.conversions WHERE project_id = %s", (OTHER,)).fetchone() == (0,)


def test_attribution_alice_order_cross_device(mconn):
    # touchpoints: s_a1 (laptop, 14 days before), s_a2 (phone, 7 days), s_a3 (converting); s_a0 is 40 days old
    assert_credits(
        credits(mconn, "s_a3_1"),
        {
            "first_touch": {"s_a1": 1, "s_a2": 0, "s_a3": 0},
            "last_touch": {"s_a1": 0, "s_a2": 0, "s_a3": 1},
            "last_non_direct": {"s_a1": 0, "s_a2": 1, "s_a3": 0},  # s_a3 is Direct
            "linear": {"s_a1": 1 / 3, "s_a2": 1 / 3, "s_a3": 1 / 3},
            "position_based": {"s_a1": 0.4, "s_a2": 0.2, "s_a3": 0.4},
            # weights 2^(-14/7), 2^(-7/7), 2^0 = 1/4, 1/2, 1 -> /1.75
            "time_decay": {"s_a1": 1 / 7, "s_a2": 2 / 7, "s_a3": 4 / 7},
        },
    )
    revenue = dict(
        mconn.execute(
            "SELECT session_id, revenue_credit FROM marts.attribution WHERE project_id = %s AND conversion_id = 's_a3_1'"
            " AND model = 'position_based'",
            (SHOP,),
        ).fetchall()
    )
    assert {k: float(v) for k, v in revenue.items()} == pytest.approx({"s_a1": 40.0, "s_a2": 20.0, "s_a3": 40.0})


def test_attribution_sessionless_conversion(mconn):
    # bob's server-side order (2024-03-08 10:00) has no session: its touchpoints are his sessions started
    # within 30 days before it (s_f1 via the alias, s_b1, s_b2), none of them converting
    rows = mconn.execute(
        "SELECT DISTINCT session_id, is_converting_session FROM marts.attribution"
        " WHERE project_id = %s AND conversion_id = 'srv_1'",
        (SHOP,),
    ).fetchall()
    assert sorted(rows) == [("s_b1", False), ("s_b2", False), ("s_f1", False)]
    days = {"s_f1": 21 + 22 / 24, "s_b1": 1 + 19 / 24, "s_b2": 19 / 24}
    weights = {k: 2 ** (-d / 7) for k, d in days.items()}
    assert_credits(
        credits(mconn, "srv_1"),
        {
            "first_touch": {"s_f1": 1, "s_b1": 0, "s_b2": 0},
            "last_touch": {"s_f1": 0, "s_b1": 0, "s_b2": 1},
            "last_non_direct": {"s_f1": 1, "s_b1": 0, "s_b2": 0},
            "linear": {"s_f1": 1 / 3, "s_b1": 1 / 3, "s_b2": 1 / 3},
            "position_based": {"s_f1": 0.4, "s_b1": 0.2, "s_b2": 0.4},
            "time_decay": {k: w / sum(weights.values()) for k, w in weights.items()},
        },
    )
    (revenue,) = mconn.execute(
        "SELECT sum(revenue_credit) FROM marts.attribution WHERE project_id = %s"
        " AND conversion_id = 'srv_1' AND model = 'linear'",
        (SHOP,),
    ).fetchone()
    assert revenue == pytest.approx(Decimal(30), abs=Decimal("0.00001"))


def test_attribution_two_touches_and_alias(mconn):
    # alice's sign-up: s_a0 26 days before, s_a1 converting
    w0 = 2 ** (-26 / 7)
    assert_credits(
        credits(mconn, "s_a1_1"),
        {
            "first_touch": {"s_a0": 1, "s_a1": 0},
            "last_touch": {"s_a0": 0, "s_a1": 1},
            "last_non_direct": {"s_a0": 0, "s_a1": 1},
            "linear": {"s_a0": 0.5, "s_a1": 0.5},
            "position_based": {"s_a0": 0.5, "s_a1": 0.5},
            "time_decay": {"s_a0": w0 / (w0 + 1), "s_a1": 1 / (w0 + 1)},
        },
    )
    # bob's order: s_f1 came from u_bob2, aliased into u_bob; the last non-direct touch is s_f1
    days = {"s_f1": (21 * 86400 + 3 * 3600 + 120) / 86400, "s_b1": (86400 + 120) / 86400, "s_b2": 120 / 86400}
    weights = {k: 2 ** (-d / 7) for k, d in days.items()}
    total = sum(weights.values())
    assert_credits(
        credits(mconn, "s_b2_2"),
        {
            "first_touch": {"s_f1": 1, "s_b1": 0, "s_b2": 0},
            "last_touch": {"s_f1": 0, "s_b1": 0, "s_b2": 1},
            "last_non_direct": {"s_f1": 1, "s_b1": 0, "s_b2": 0},
            "linear": {"s_f1": 1 / 3, "s_b1": 1 / 3, "s_b2": 1 / 3},
            "position_based": {"s_f1": 0.4, "s_b1": 0.2, "s_b2": 0.4},
            "time_decay": {k: w / total for k, w in weights.items()},
        },
    )
    # dave: the device's anonymous session 28 days before, re-stitched when he identified
    w1 = 2 ** (-(28 * 86400 + 40) / 86400 / 7)
    w2 = 2 ** (-(40 / 86400) / 7)
    assert credits(mconn, "s_e2_3")["time_decay"] == pytest.approx({"s_e1": w1 / (w1 + w2), "s_e2": w2 / (w1 + w2)})


def test_sessions(mconn):
    rows = {
        r[0]: r[1:]
        for r in mconn.execute(
            "SELECT session_id, blended_user_id, user_id, session_number, channel, source, medium, campaign,"
            " acquisition_class, is_bounce, is_engaged, page_views, conversions, revenue"
            " FROM marts.sessions WHERE project_id = %s",
            (SHOP,),
        )
    }
    assert len(rows) == 11  # s_d1 was re-cut into s_d0; the bot has no session
    assert rows["s_a0"] == (
        "u_alice",
        "u_alice",
        1,
        "Email",
        "newsletter",
        "email",
        "feb",
        "organic",
        False,
        True,
        2,
        0,
        0,
    )
    assert rows["s_a1"][3:8] == ("Organic Search", "www.google.com", "organic", "(organic)", "organic")
    assert rows["s_a2"][3:] == ("Paid Social", "facebook", "cpc", "spring", "paid", True, False, 1, 0, 0)
    assert rows["s_a3"][2:] == (4, "Direct", "(direct)", "(none)", "(direct)", "ads_assisted", False, True, 1, 1, 100)
    assert rows["s_b1"][7:9] == ("organic", True)
    assert rows["s_f1"][:3] == ("u_bob", "u_bob", 1)
    assert rows["s_d0"][:2] == ("a4", None)


def test_users(mconn):
    rows = {
        r[0]: r[1:]
        for r in mconn.execute(
            "SELECT blended_user_id, is_identified, email, plan, sessions, device_count, conversions, revenue,"
            " first_touch_channel, last_touch_channel, first_seen_at::date"
            " FROM marts.users WHERE project_id = %s",
            (SHOP,),
        )
    }
    assert set(rows) == {"u_alice", "u_bob", "u_dave", "a4"}  # u_bob2 is bob now
    assert rows["u_alice"] == (True, "alice@example.com", "pro", 4, 2, 2, 100, "Email", "Direct", date(2024, 2, 1))
    # bob's orders: 50.00 EUR (in USD at the seed's EUR rate) and 30 USD sessionless
    assert rows["u_bob"] == (
        True,
        "bob@example.com",
        None,
        4,
        2,
        2,
        30 + eur_to_usd(mconn, Decimal("50.00")),
        "Organic Search",
        "Direct",
        date(2024, 2, 15),
    )
    assert rows["a4"][:2] == (False, None)


def test_retention_cohorts(mconn):
    rows = {
        (g, str(c), n): tuple(r)
        for g, c, n, *r in mconn.execute(
            "SELECT cohort_grain, cohort_start, period_number, cohort_size, active_people, retained_people_unbounded,"
            " classic_retention_rate, unbounded_retention_rate FROM marts.retention_cohorts WHERE project_id = %s",
            (SHOP,),
        )
    }
    # first seen: alice 2024-02-01 (week of 01-29), dave 02-12, bob 02-15 (week of 02-12), a4 03-06 (03-04)
    # data ends 2024-03-12 (week of 03-11)
    assert sorted(n for g, c, n in rows if (g, c) == ("week", "2024-01-29")) == list(range(7))
    # alice: weeks 0 (02-01), 4 (02-27), 5 (03-05), 6 (03-12)
    assert [rows["week", "2024-01-29", n][1] for n in range(7)] == [1, 0, 0, 0, 1, 1, 1]
    assert [rows["week", "2024-01-29", n][2] for n in range(7)] == [1] * 7
    # dave (weeks 0 and 4) and bob (weeks 0, 3, 3, 4)
    assert [rows["week", "2024-02-12", n][:3] for n in range(5)] == [
        (2, 2, 2),
        (2, 0, 2),
        (2, 0, 2),
        (2, 1, 2),
        (2, 2, 2),
    ]
    assert rows["week", "2024-03-04", 0][:3] == (1, 1, 1) and rows["week", "2024-03-04", 1][:3] == (1, 0, 0)
    # monthly: February (alice, dave, bob): all three active in March
    assert rows["month", "2024-02-01", 0][:3] == (3, 3, 3)
    assert rows["month", "2024-02-01", 1] == (3, 3, 3, 1.0, 1.0)
    assert rows["month", "2024-03-01", 0][:3] == (1, 1, 1)
    assert ("month", "2024-03-01", 1) not in rows  # April has not started


def test_session_summary_daily(mconn):
    rows = mconn.execute(
        "SELECT session_date, channel, source, device_type, country_code, sessions, people, new_people, bounces,"
        " bounce_rate, avg_session_duration_seconds, pages_per_session, conversions, conversion_rate, revenue"
        " FROM marts.session_summary_daily WHERE project_id = %s AND session_date = '2024-03-06'"
        " ORDER BY channel",
        (SHOP,),
    ).fetchall()
    assert rows == [
        (date(2024, 3, 6), "Direct", "(direct)", "desktop", "DE", 1, 1, 0, 1, 1.0, 0.0, 1.0, 0, 0.0, 0),
        (date(2024, 3, 6), "Referral", "blog.example.org", "desktop", "DE", 1, 1, 1, 0, 0.0, 630.0, 3.0, 0, 0.0, 0),
    ]
    totals = mconn.execute(
        "SELECT sum(sessions), sum(new_people), sum(conversions), sum(revenue) FROM marts.session_summary_daily"
        " WHERE project_id = %s",
        (SHOP,),
    ).fetchone()
    assert totals == (11, 4, 4, 100 + eur_to_usd(mconn, Decimal("50.00")))
