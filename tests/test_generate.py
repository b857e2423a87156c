"""The generator package: determinism, scenario coverage, ground truth consistent with the data and the
rules of docs/architecture.md §4 (re-derived here from the messages alone), and the bulk load into raw."""

from __future__ import annotations

import argparse
import itertools
import json
from collections import Counter, defaultdict
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest

import generator as gen

END = "2024-06-01T00:00:00Z"
CLICK_IDS = set(gen.CLICK_IDS)


def ms(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def ds() -> gen.Dataset:
    return gen.generate(events=5000, seed=11, end=END)


def unique(ds):
    """(index, message) of the earliest received copy of each messageId."""
    seen, out = set(), []
    for i, m in enumerate(ds.messages):
        if m["messageId"] not in seen:
            seen.add(m["messageId"])
            out.append((i, m))
    return out


def corrected(ds, i, m) -> int:
    return ds.received_ms[i] - (ms(m["sentAt"]) - ms(m["timestamp"]))


def is_bot(ua: str | None) -> bool:
    ua = (ua or "").lower()
    return any(k in ua for k in ("bot", "headless", "facebookexternalhit"))


def campaign_of(m) -> frozenset:
    ctx = m.get("context") or {}
    url = (ctx.get("page") or {}).get("url") or ""
    q = {k: v for k, v in parse_qsl(urlsplit(url).query) if k.startswith("utm_") or k in CLICK_IDS}
    for k, v in (ctx.get("campaign") or {}).items():
        q["utm_" + ("campaign" if k == "name" else k)] = v
    return frozenset(q.items())


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_data_and_different_seed_different_data():
    a = gen.generate(events=3000, seed=5, end=END)
    b = gen.generate(events=3000, seed=5, end=END)
    c = gen.generate(events=3000, seed=6, end=END)
    assert orjson.dumps(a.messages) == orjson.dumps(b.messages)
    assert a.received_ms == b.received_ms and a.malformed == b.malformed
    assert orjson.dumps(a.truth) == orjson.dumps(b.truth)
    assert orjson.dumps(a.messages) != orjson.dumps(c.messages)
    assert a.truth["events"] != c.truth["events"]


@pytest.mark.parametrize(("events", "days"), [(20_000, 10), (1_000, 1)])
def test_size_and_period(events, days):
    d = gen.generate(events=events, seed=3, days=days, end=END)
    assert 0.9 * events <= len(d.messages) <= 1.1 * events
    lo, hi = ms(d.truth["start"]), ms(d.truth["end"])
    assert hi - lo == days * gen.DAY
    for s in d.truth["sessions"].values():
        assert lo <= ms(s["start"]) <= ms(s["end"]) < hi


def test_default_end_is_today_midnight_utc():
    assert gen.default_end() % gen.DAY == 0


# --------------------------------------------------------------------------- coverage
def test_every_scenario_is_present(ds):
    truth, msgs = ds.truth, ds.messages
    sessions = truth["sessions"].values()
    types = Counter(m["type"] for m in msgs)
    assert 0.55 <= types["page"] / len(msgs) <= 0.75
    assert types["track"] > types["identify"] > 0 and types["alias"] > 0 and types["screen"] > 0
    # campaigns, click ids, search/social/email/referral/direct
    mediums = {s["utm_medium"] for s in sessions}
    assert {"cpc", "paid_social", "email"} <= mediums
    assert {"gclid", "fbclid"} <= {s["click_id_type"] for s in sessions}
    hosts = {s["referrer_host"] for s in sessions}
    assert {"www.google.com", "www.bing.com"} <= hosts
    assert hosts & {"l.facebook.com", "m.facebook.com"} and "t.co" in hosts and "www.linkedin.com" in hosts
    assert any(s["traffic"] == "referral" for s in sessions)
    assert any(s["traffic"] == "direct" and s["referrer_host"] is None and s["utm_source"] is None for s in sessions)
    landing = [m for m in msgs if "?utm_" in (m.get("context", {}).get("page") or {}).get("url", "")]
    assert landing and any("campaign" in m["context"] for m in landing)
    # sign-up, login on a second device, multi-device users
    assert any(m["type"] == "track" and m["event"] == "Signed Up" for m in msgs)
    streams_identified = defaultdict(set)
    for m in msgs:
        if m["type"] == "identify" and m.get("anonymousId"):
            streams_identified[truth["events"][m["messageId"]][1]].add(m["anonymousId"])
    assert any(len(v) >= 2 for v in streams_identified.values())
    assert any(len(u["streams"]) >= 2 for u in truth["users"].values())
    # shared device: one stream, two users, each identified in their own sessions
    users_per_stream = defaultdict(set)
    for s in sessions:
        users_per_stream[s["stream"]].add(s["user"])
    assert any(len(u - {None}) >= 2 for u in users_per_stream.values())
    # alias (a chain), events with an old id resolved to the canonical id
    assert truth["aliases"] and len(set(truth["aliases"].values())) < len(truth["aliases"])
    old = [m for m in msgs if m.get("userId") in truth["aliases"] and m["messageId"] in truth["events"]]
    assert old and all(truth["events"][m["messageId"]][1] == truth["aliases"][m["userId"]] for m in old)
    # conversions with revenue; a userId-only (server-side) stream; devices never identified
    conv = truth["conversions"]
    assert any(c["event"] == "Order Completed" and c["revenue"] > 0 for c in conv)
    assert any(c["event"] == "Signed Up" for c in conv)
    assert any(c["user"] is None for c in conv)
    assert any(len(c["touchpoints"]) >= 2 for c in conv)
    assert any("anonymousId" not in m and m.get("userId") for m in msgs)
    # bots
    bot_ids = set(truth["bots"])
    assert bot_ids and all(
        is_bot(m["context"]["userAgent"]) == (m["messageId"] in bot_ids)
        for m in msgs
        if m.get("context", {}).get("userAgent")
    )
    assert not bot_ids & set(truth["events"])
    # clock skew both ways (minutes to hours), duplicates (single and a whole batch), late events
    skews = [ms(m["sentAt"]) - ds.received_ms[i] for i, m in enumerate(msgs)]
    assert any(s > 30 * gen.MIN for s in skews) and any(s < -30 * gen.MIN for s in skews)
    counts = Counter(m["messageId"] for m in msgs)
    dup = {k for k, n in counts.items() if n > 1}
    assert dup == set(truth["duplicates"]) and len(dup) >= 20
    late = set(truth["late"])
    assert late
    for i, m in unique(ds):
        if m["messageId"] in late:
            assert gen.DAY < ds.received_ms[i] - corrected(ds, i, m) + 1000 < 3 * gen.DAY
    # malformed
    reasons = Counter(b["reason"] for b in truth["malformed"])
    assert set(reasons) == {
        "missing_type",
        "track_without_event",
        "alias_without_previous_id",
        "missing_ids",
        "invalid_timestamp",
        "invalid_json",
    }
    for b in ds.malformed:
        if isinstance(b, str):
            with pytest.raises(json.JSONDecodeError):
                json.loads(b)
    # realistic pools
    ips = {m["context"]["ip"] for m in msgs if m.get("context", {}).get("ip")}
    assert any(":" in ip for ip in ips) and sum("." in ip for ip in ips) > 100
    uas = {m["context"]["userAgent"] for m in msgs if m.get("context", {}).get("userAgent")}
    assert len(uas) >= 25


# --------------------------------------------------------------------------- truth
def test_truth_matches_the_rules_re_derived_from_the_messages(ds):
    """Sessions and users re-derived from the delivered messages alone (the pipeline's rules) equal the truth."""
    truth = ds.truth
    events = truth["events"]
    bots = set(truth["bots"])
    per_stream = defaultdict(list)
    server_events = []
    for i, m in unique(ds):
        if m["messageId"] in bots:
            continue
        assert m["messageId"] in events, "every valid non-bot event is in the truth"
        if "anonymousId" not in m:  # a server event starts no session (it may join one: checked below)
            server_events.append((corrected(ds, i, m), m))
            continue
        per_stream[m.get("anonymousId") or m["userId"]].append(
            (corrected(ds, i, m), ds.received_ms[i], m["messageId"], m)
        )
    assert sum(len(v) for v in per_stream.values()) + len(server_events) == len(events)
    assert not bots & set(events)
    # alias closure from the alias messages
    alias = {m["previousId"]: m["userId"] for _, m in unique(ds) if m["type"] == "alias"}

    def canon(u):
        while u in alias:
            u = alias[u]
        return u

    # a server event's session is its person's session in progress: the last interactive event before it
    # on a device of the person, within 30 minutes (no session spans 24 h)
    joined = Counter(events[m["messageId"]][0] for _, m in server_events if events[m["messageId"]][0])
    interactive = []  # (time, session key, user, stream) of every interactive event, filled below
    derived_sessions = 0
    for stream, evs in per_stream.items():
        evs.sort(key=lambda e: e[:3])
        times = {mid: t for t, _, mid, _ in evs}
        sessions, cur = [], None
        for t, _, _mid, m in evs:
            camp = campaign_of(m)
            if (
                cur is None
                or t - cur["last"] > 30 * gen.MIN
                or t - cur["start"] > 24 * gen.HOUR
                or (camp and camp != cur["campaign"])
            ):
                cur = {"start": t, "last": t, "campaign": camp, "events": []}
                sessions.append(cur)
            cur["last"] = t
            cur["events"].append(m)
        derived_sessions += len(sessions)
        # users: identity over time
        first_user = next((canon(m["userId"]) for s in sessions for m in s["events"] if m.get("userId")), None)
        last = None
        for s in sessions:
            key = s["events"][0]["messageId"]
            ident = next((canon(m["userId"]) for m in s["events"] if m.get("userId")), None)
            user = ident or last or first_user
            for m in s["events"]:
                if m.get("userId"):
                    assert canon(m["userId"]) == user, "no user change inside a session"
                    last = user
                assert events[m["messageId"]] == [key, user], (stream, m["messageId"])
            interactive += [
                (times[m["messageId"]], key, user, stream)
                for m in s["events"]
                if m["type"] in ("page", "screen", "track")
            ]
            ts = truth["sessions"][key]
            assert ts["stream"] == stream and ts["user"] == user and ts["events"] == len(s["events"]) + joined[key]
            assert s["last"] - s["start"] < 24 * gen.HOUR
        # margins against clock noise: no campaign-only splits, more than 45 min between sessions
        for a, b in itertools.pairwise(sessions):
            assert b["start"] - a["last"] > 45 * gen.MIN
    assert derived_sessions == len(truth["sessions"])
    interactive.sort()
    for t, m in server_events:
        user = canon(m["userId"])
        before = [e for e in interactive if t - 30 * gen.MIN <= e[0] < t]
        last_per_stream = {e[3]: e for e in before}  # sorted: the stream's latest wins
        mine = sorted(e for e in last_per_stream.values() if e[2] == user)
        expected = mine[-1][1] if mine and t - ms(truth["sessions"][mine[-1][1]]["start"]) < 24 * gen.HOUR else None
        assert events[m["messageId"]] == [expected, user]
    assert server_events and len(joined) < len(server_events)


def test_truth_sessions_and_conversions_are_consistent(ds):
    truth = ds.truth
    sessions = truth["sessions"]
    members = defaultdict(list)
    for mid, (key, user) in truth["events"].items():
        if key is None:  # a sessionless server event
            continue
        members[key].append(mid)
        assert sessions[key]["user"] == user
    assert set(members) == set(sessions)
    for key, s in sessions.items():
        assert key in members[key]  # the key is an event of the session (its first: checked above)
        assert ms(s["end"]) - ms(s["start"]) <= 2 * gen.HOUR + gen.MIN
        if s["landing_path"] is not None:
            assert s["landing_path"].startswith("/")
    for c in truth["conversions"]:
        assert truth["events"][c["messageId"]] == [c["session"], c["user"]]
        tps = c["touchpoints"]
        assert tps[-1] == c["session"] or c["session"] in tps
        starts = [ms(sessions[k]["start"]) for k in tps]
        assert starts == sorted(starts)
        conv_at = ms(c["converted_at"])
        assert all(conv_at - 30 * gen.DAY <= t <= conv_at for t in starts)
        for k in tps:
            assert sessions[k]["user"] == c["user"]
            if c["user"] is None:
                assert sessions[k]["stream"] == c["stream"]
        if c["event"] == "Order Completed":
            assert c["revenue"] > 0 and c["currency"]
    # every session of the same person in the window is a touchpoint
    by_user = defaultdict(list)
    for k, s in sessions.items():
        by_user[s["user"] or ("stream", s["stream"])].append((ms(s["start"]), k))
    for c in truth["conversions"]:
        who = c["user"] or ("stream", c["stream"])
        conv_at = ms(c["converted_at"])
        expected = [k for t, k in sorted(by_user[who]) if conv_at - 30 * gen.DAY <= t <= conv_at]
        assert c["touchpoints"] == expected
    json.dumps(truth)  # JSON-serialisable


def test_outputs_jsonl_and_cli(tmp_path, ds):
    path = tmp_path / "events.jsonl"
    n = gen.write_jsonl(ds, path)
    lines = path.read_bytes().splitlines()
    assert n == len(lines) == len(ds.messages) + len(ds.malformed)
    parsed = []
    for line in lines:
        try:
            parsed.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            parsed.append(line.decode())
    assert [p for p in parsed if p in ds.malformed or isinstance(p, str)]
    valid = [p for p in parsed if isinstance(p, dict) and p.get("messageId") in ds.truth["events"]]
    assert len({p["messageId"] for p in valid}) == len(ds.truth["events"])

    parser = argparse.ArgumentParser()
    gen.add_arguments(parser)
    out = tmp_path / "cli.jsonl"
    args = parser.parse_args(["--events", "1500", "--seed", "2", "--end", END, "--out", str(out), "--no-progress"])
    assert gen.run(args) == 0
    truth = json.loads((tmp_path / "cli.truth.json").read_text())
    assert truth["seed"] == 2 and truth["end"] == "2024-06-01T00:00:00.000Z"


def test_post_http_restamps_sent_at_with_device_skew():
    """The HTTP sender puts real now + skew in sentAt, so receivedAt - (sentAt - timestamp) = true time."""
    import httpx

    small = gen.generate(events=800, seed=4, end=END)
    got = []

    def handler(request: httpx.Request):
        received = gen.now_ms()
        assert request.headers["authorization"].startswith("Basic ")
        try:
            body = orjson.loads(request.content)
        except orjson.JSONDecodeError:
            return httpx.Response(400, json={"error": "malformed JSON"})
        for m in body["batch"]:
            if isinstance(m, dict) and "sentAt" in m and m.get("messageId") in small.truth["events"]:
                got.append((m["messageId"], received - (ms(m["sentAt"]) - ms(m["timestamp"]))))
        return httpx.Response(200, json={"success": True})

    stats = gen.post_http(
        small,
        "http://test",
        "sk_test_x",
        batch_size=50,
        concurrency=2,
        progress=False,
        transport=httpx.MockTransport(handler),
    )
    assert stats["failed_requests"] == 0 and stats["messages"] == len(small.messages)
    assert stats["malformed"] == len(small.malformed)
    assert stats["rejected_requests"] == sum(isinstance(b, str) for b in small.malformed)
    assert len(got) == sum(m["messageId"] in small.truth["events"] for m in small.messages)
    sessions = small.truth["sessions"]
    for mid, t in got:
        key, _ = small.truth["events"][mid]
        if key is None:  # a sessionless server event: no session window to fall in
            continue
        assert ms(sessions[key]["start"]) - 5000 <= t <= ms(sessions[key]["end"]) + 5000


# --------------------------------------------------------------------------- bulk load
def test_load_raw_loads_each_unique_valid_message_once(conn):
    d = gen.generate(events=2000, seed=9)
    project = "gen_test_project"
    n = gen.load_raw(conn, d, project)
    unique_ids = {m["messageId"] for m in d.messages}
    assert n == len(unique_ids) == len(d.truth["events"]) + len(d.truth["bots"])
    rows = conn.execute(
        "SELECT count(*), count(DISTINCT message_id) FROM raw.events WHERE project_id = %s", (project,)
    ).fetchone()
    assert rows == (n, n)
    assert conn.execute("SELECT count(*) FROM raw.event_keys WHERE project_id = %s", (project,)).fetchone()[0] == n
    # the earliest received copy is kept, with payload and typed columns agreeing
    first = {}
    for i, m in enumerate(d.messages):
        first.setdefault(m["messageId"], i)
    dup = d.truth["duplicates"][0]
    got = conn.execute(
        "SELECT received_at, payload->>'messageId', type, ip::text, event_timestamp, sent_at "
        "FROM raw.events WHERE project_id = %s AND message_id = %s",
        (project, dup),
    ).fetchone()
    assert int(got[0].timestamp() * 1000) == d.received_ms[first[dup]] and got[1] == dup
    late = d.truth["late"][0]
    lag = conn.execute(
        "SELECT received_at - event_timestamp FROM raw.events WHERE message_id = %s", (late,)
    ).fetchone()[0]
    assert lag.total_seconds() != 0
    # a second load changes nothing (ON CONFLICT DO NOTHING semantics)
    assert gen.load_raw(conn, d, project) == 0
    assert conn.execute("SELECT count(*) FROM raw.events WHERE project_id = %s", (project,)).fetchone()[0] == n
    conn.execute("DELETE FROM raw.events WHERE project_id = %s", (project,))
    conn.execute("DELETE FROM raw.event_keys WHERE project_id = %s", (project,))
