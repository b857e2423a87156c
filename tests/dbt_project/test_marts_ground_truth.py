"""marts.conversions and marts.attribution against the generator's ground truth.

Generated traffic (fixed seed) goes through the whole pipeline in a database of its own: raw.events ->
core build -> `dbt build --full-refresh` of attribution and everything upstream of it. The truth
(`Dataset.truth`, computed from the simulation in Python, independently of SQL) names every conversion,
its person and its touchpoint sessions; the expected credits of every model are computed here from the
documented definitions (marts/_marts__models.yml, dbt_project.yml vars):

  touchpoints      the person's sessions (all devices) started within 30 days before the conversion, up
                   to and including the converting session, ordered by session start
  first_touch      all credit to the first touchpoint
  last_touch       all credit to the last touchpoint
  last_non_direct  all credit to the latest touchpoint whose channel is not Direct (no campaign, no click
                   id, no external referrer), else to the last touchpoint
  linear           1 / n each
  position_based   40 % first, 40 % last, 20 % shared by the middle; one touch 100 %, two touches 50/50
  time_decay       weight 2 ** -(days from the session's start to the conversion / 7), normalised

Core times are clock-corrected: true time + network latency (< 1 s), so times are compared with that
tolerance and credits (which depend on times only through time decay) within 1e-6.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

import psycopg
import pytest
from conftest import run_dbt

import generator
from tests.orchestration.pipeline_helpers import reset, run_core

END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
PROJECT = "truth"
# 45 days: long enough that the 30-day lookback cuts off earlier sessions of some converters.
EVENTS, SEED, DAYS = 6000, 11, 45
MODELS = {"first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay"}
FIRST_WEIGHT = LAST_WEIGHT = 0.4
HALF_LIFE_DAYS = 7
LOOKBACK_DAYS = 30
DAY_MS = 86_400_000
CREDIT_TOL = 1e-6
LATENCY = dt.timedelta(seconds=1)


def true_time(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def dataset():
    return generator.generate(events=EVENTS, seed=SEED, days=DAYS, end=END)


@pytest.fixture(scope="module")
def marts(database_url, dataset, tmp_path_factory):
    """The pipeline run on `dataset` in a database of its own; the rows the tests read, in Python."""
    from tests.db_helpers import migrated_database
    from touchline import db

    with migrated_database(database_url, f"{db.url_parts(database_url).database}_marts_truth") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            reset(conn)
            generator.load_raw(conn, dataset, PROJECT)
            run_core(conn)
        run_dbt(
            url,
            "build",
            "--full-refresh",
            "--select",
            "+attribution",
            "--indirect-selection",  # the lineage's own tests, not page_views' test that also reads sessions
            "cautious",
            target_path=tmp_path_factory.mktemp("dbt_target_truth"),
        )
        with psycopg.connect(url, autocommit=True) as conn:
            # core.events.session_id -> truth session key (messageId of the session's first event)
            keys = dict(
                conn.execute(
                    "SELECT session_id, message_id FROM core.events WHERE project_id = %s AND session_event_sequence = 1",
                    (PROJECT,),
                )
            )
            sessions = {
                keys[sid]: row
                for sid, *row in conn.execute(
                    "SELECT session_id, started_at, channel, blended_user_id FROM marts.sessions WHERE project_id = %s",
                    (PROJECT,),
                )
            }
            conversions = {
                r[0]: r[1:]
                for r in conn.execute(
                    "SELECT conversion_id, event_name, blended_user_id, user_id, device_id, session_id, converted_at,"
                    " revenue, currency FROM marts.conversions WHERE project_id = %s",
                    (PROJECT,),
                )
            }
            attribution = defaultdict(dict)  # (conversion_id, model) -> {session key: row}
            for cid, model, sid, *row in conn.execute(
                "SELECT conversion_id, model, session_id, blended_user_id, touchpoint_number, touchpoint_count,"
                " is_converting_session, session_started_at, converted_at, channel, credit, revenue_credit"
                " FROM marts.attribution WHERE project_id = %s",
                (PROJECT,),
            ):
                attribution[cid, model][keys[sid]] = row
        yield {"keys": keys, "sessions": sessions, "conversions": conversions, "attribution": attribution}


# --------------------------------------------------------------------------- the spec, from the truth
def is_direct(session: dict) -> bool:
    """Direct: no campaign parameters, no click id, no external referrer (app and server sessions too)."""
    return not any(
        session[k]
        for k in (
            "referrer_host",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "click_id_type",
            "click_id",
        )
    )


def ordered_touchpoints(truth: dict, conversion: dict) -> list[str]:
    sessions = truth["sessions"]
    return sorted(conversion["touchpoints"], key=lambda k: (sessions[k]["start"], k))


def expected_credits(truth: dict, conversion: dict) -> dict[str, dict[str, float]]:
    """model -> {session key: credit}, from the model definitions and the truth's times and sources."""
    sessions = truth["sessions"]
    touches = ordered_touchpoints(truth, conversion)
    n = len(touches)
    first, last = touches[0], touches[-1]
    out = {m: dict.fromkeys(touches, 0.0) for m in MODELS}
    out["first_touch"][first] = 1.0
    out["last_touch"][last] = 1.0
    non_direct = [k for k in touches if not is_direct(sessions[k])]
    out["last_non_direct"][non_direct[-1] if non_direct else last] = 1.0
    out["linear"] = dict.fromkeys(touches, 1 / n)
    if n == 1:
        out["position_based"][first] = 1.0
    elif n == 2:
        out["position_based"][first] = out["position_based"][last] = 0.5
    else:
        middle = (1 - FIRST_WEIGHT - LAST_WEIGHT) / (n - 2)
        out["position_based"] = dict.fromkeys(touches, middle)
        out["position_based"][first], out["position_based"][last] = FIRST_WEIGHT, LAST_WEIGHT
    converted = generator.parse_iso(conversion["converted_at"])
    weights = {
        k: 0.5 ** ((converted - generator.parse_iso(sessions[k]["start"])) / DAY_MS / HALF_LIFE_DAYS) for k in touches
    }
    total = sum(weights.values())
    out["time_decay"] = {k: w / total for k, w in weights.items()}
    return out


def expected_revenue(conversion: dict) -> Decimal:
    # Order Completed carries `revenue`; Signed Up has no revenue property: 0 by the mart's definition.
    return Decimal("0") if conversion["revenue"] is None else Decimal(str(conversion["revenue"]))


def seed_rates() -> dict[str, Decimal]:
    """Undated units_per_usd of dbt_project/seeds/currency_rates.csv (what the users edit)."""
    import csv

    from orchestration.marts import DBT_PROJECT_DIR

    with open(DBT_PROJECT_DIR / "seeds" / "currency_rates.csv", newline="") as f:
        return {r["currency"]: Decimal(r["units_per_usd"]) for r in csv.DictReader(f) if not r["rate_date"]}


def expected_reporting_revenue(conversion: dict, rates: dict[str, Decimal]) -> Decimal:
    """The amount in USD (the default reporting currency): amount x USD rate / rate of its currency."""
    currency = conversion.get("currency") or "USD"
    return expected_revenue(conversion) * rates["USD"] / rates[currency]


# --------------------------------------------------------------------------- the dataset is worth testing
def test_dataset_exercises_multi_touch_cross_device_anonymous_and_lookback(dataset):
    truth = dataset.truth
    sessions, conversions = truth["sessions"], truth["conversions"]
    assert {c["event"] for c in conversions} == {"Order Completed", "Signed Up"}
    assert any(len(c["touchpoints"]) >= 3 for c in conversions)
    assert any(len(c["touchpoints"]) == 2 for c in conversions)
    assert any(len(c["touchpoints"]) == 1 for c in conversions)
    assert any(len({sessions[k]["stream"] for k in c["touchpoints"]}) >= 2 for c in conversions)
    assert any(c["user"] is None for c in conversions)
    assert any(c["user"] is not None for c in conversions)
    # the 30-day lookback drops earlier sessions of some converters
    starts = defaultdict(list)
    for s in sessions.values():
        starts[s["user"] or ("stream", s["stream"])].append(generator.parse_iso(s["start"]))
    assert any(
        min(starts[c["user"] or ("stream", c["stream"])])
        < generator.parse_iso(c["converted_at"]) - LOOKBACK_DAYS * DAY_MS
        for c in conversions
    )
    # last non-direct differs from last touch for some conversions; some have direct touches only
    last_is_direct = [c for c in conversions if is_direct(sessions[ordered_touchpoints(truth, c)[-1]])]
    assert any(not all(is_direct(sessions[k]) for k in c["touchpoints"]) for c in last_is_direct)
    assert any(all(is_direct(sessions[k]) for k in c["touchpoints"]) for c in conversions)
    assert any(not is_direct(sessions[k]) for c in conversions for k in c["touchpoints"])


# --------------------------------------------------------------------------- marts.conversions
def test_conversions_match_ground_truth(dataset, marts):
    truth = dataset.truth["conversions"]
    got = marts["conversions"]
    assert set(got) == {c["messageId"] for c in truth}
    wrong = []
    for c in truth:
        event_name, blended, user_id, device_id, session_id, converted_at, revenue, currency = got[c["messageId"]]
        expected = (
            c["event"],
            c["user"] or c["stream"],
            c["user"],
            c["stream"],
            c["session"],
            expected_revenue(c),
            c["currency"].upper() if c["currency"] else None,
        )
        actual = (event_name, blended, user_id, device_id, marts["keys"].get(session_id), revenue, currency)
        lag = converted_at - true_time(c["converted_at"])
        if actual != expected or not dt.timedelta(0) <= lag < LATENCY:
            wrong.append((c["messageId"], expected, actual, lag))
    assert wrong == []


# --------------------------------------------------------------------------- marts.attribution
def test_attribution_touchpoints_match_ground_truth(dataset, marts):
    truth = dataset.truth
    attribution, sessions = marts["attribution"], marts["sessions"]
    assert {cid for cid, _ in attribution} == {c["messageId"] for c in truth["conversions"]}
    assert {m for _, m in attribution} == MODELS
    wrong = []
    for c in truth["conversions"]:
        touches = ordered_touchpoints(truth, c)
        person = c["user"] or c["stream"]
        for model in MODELS:
            rows = attribution.get((c["messageId"], model), {})
            if set(rows) != set(touches):
                wrong.append((c["messageId"], model, "touchpoints", sorted(touches), sorted(rows)))
                continue
            if not math.isclose(sum(r[-2] for r in rows.values()), 1.0, abs_tol=1e-9):
                wrong.append((c["messageId"], model, "credits do not sum to 1"))
            for number, key in enumerate(touches, start=1):
                blended, tp_number, tp_count, converting, started_at, converted_at, channel, _, _ = rows[key]
                truth_session = truth["sessions"][key]
                expected = (person, number, len(touches), key == c["session"], is_direct(truth_session))
                actual = (blended, tp_number, tp_count, converting, channel == "Direct")
                start_lag = started_at - true_time(truth_session["start"])
                conv_lag = converted_at - true_time(c["converted_at"])
                if (
                    actual != expected
                    or not dt.timedelta(0) <= start_lag < LATENCY
                    or not dt.timedelta(0) <= conv_lag < LATENCY
                    or sessions[key][0] != started_at
                    or sessions[key][1] != channel
                    or sessions[key][2] != person
                ):
                    wrong.append((c["messageId"], model, key, expected, actual, start_lag, conv_lag))
    assert wrong == []


def test_attribution_credits_match_the_models_on_ground_truth(dataset, marts):
    truth = dataset.truth
    attribution = marts["attribution"]
    wrong = []
    checked = 0
    rates = seed_rates()
    for c in truth["conversions"]:
        revenue = expected_reporting_revenue(c, rates)
        for model, credits in expected_credits(truth, c).items():
            rows = attribution.get((c["messageId"], model), {})
            assert set(rows) == set(credits), (c["messageId"], model)
            for key, expected in credits.items():
                credit, revenue_credit = rows[key][-2], rows[key][-1]
                checked += 1
                if abs(float(credit) - expected) > CREDIT_TOL:
                    wrong.append((c["messageId"], model, key, "credit", expected, credit))
                # revenue_credit = credit * reporting revenue (numeric, rounded to 6 decimals)
                if abs(revenue_credit - credit * revenue) > Decimal("1e-5") * max(revenue, 1):
                    wrong.append((c["messageId"], model, key, "revenue_credit", credit, revenue, revenue_credit))
                if abs(float(revenue_credit) - expected * float(revenue)) > CREDIT_TOL * max(float(revenue), 1):
                    wrong.append((c["messageId"], model, key, "revenue_credit vs truth", expected, revenue_credit))
    assert checked == sum(len(c["touchpoints"]) for c in truth["conversions"]) * len(MODELS)
    assert wrong == []
