"""The HTTP contract of the ingest API against the test database (FastAPI TestClient)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import time
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from fastapi.testclient import TestClient
from ingest_helpers import basic

from ingest_api.app import create_app


def track(**kw):
    return {"type": "track", "event": "Clicked", "anonymousId": "anon-1", "messageId": str(uuid.uuid4()), **kw}


def stored(conn, project_id):
    return conn.execute(
        "SELECT message_id, type, event, anonymous_id, user_id, host(ip), user_agent, key_prefix, payload"
        " FROM raw.events WHERE project_id = %s ORDER BY received_at, message_id",
        (project_id,),
    ).fetchall()


def rejected(conn, project_id):
    return conn.execute(
        "SELECT reason, payload, key_prefix FROM raw.rejected_events WHERE project_id = %s ORDER BY rejected_id",
        (project_id,),
    ).fetchall()


# -- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["basic", "bearer", "x-write-key", "body"])
def test_every_way_to_send_the_key_works(client, project, conn, how):
    project_id, key = project
    body = track()
    headers = {
        "basic": basic(key),
        "bearer": {"Authorization": f"Bearer {key}"},
        "x-write-key": {"X-Write-Key": key},
        "body": {},
    }[how]
    if how == "body":
        body["writeKey"] = key
    r = client.post("/v1/track", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True}
    rows = stored(conn, project_id)
    assert [row[0] for row in rows] == [body["messageId"]]
    assert rows[0][7] == key[:12] and "writeKey" not in rows[0][8]


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "missing write key"),
        ({"Authorization": "Basic !!!notbase64"}, "malformed write key"),
        ({"Authorization": "Digest abc"}, "malformed write key"),
        ({"X-Write-Key": "sk_live_short"}, "malformed write key"),
        ({"X-Write-Key": "sk_live_" + "A" * 32}, "unknown write key"),
    ],
)
def test_bad_keys_get_401(client, headers, detail):
    r = client.post("/v1/track", json=track(), headers=headers)
    assert r.status_code == 401 and r.json()["detail"] == detail
    assert r.headers["WWW-Authenticate"].startswith("Basic")


def test_revoked_key_gets_401_after_the_cache_ttl(client, project, conn):
    project_id, key = project
    assert client.post("/v1/track", json=track(), headers=basic(key)).status_code == 200
    conn.execute("UPDATE ops.api_keys SET revoked_at = now() WHERE project_id = %s", (project_id,))
    time.sleep(0.6)  # key_cache_ttl_s = 0.5 in these tests
    r = client.post("/v1/track", json=track(), headers=basic(key))
    assert r.status_code == 401 and r.json()["detail"] == "revoked write key"


def test_validate_tells_the_project(client, project):
    project_id, key = project
    r = client.get("/api/v1/validate", headers=basic(key))
    assert r.json() == {"valid": True, "project_id": project_id, "env": "live", "key_prefix": key[:12]}
    assert client.get("/api/v1/validate").status_code == 401


def test_last_used_at_is_written_in_the_background(client, project, conn):
    project_id, key = project
    for _ in range(3):
        client.post("/v1/track", json=track(), headers=basic(key))
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        used = conn.execute("SELECT last_used_at FROM ops.api_keys WHERE project_id = %s", (project_id,)).fetchone()[0]
        if used is not None:
            break
        time.sleep(0.05)
    assert used is not None


def test_a_key_writes_its_own_project_only(client, new_key, conn):
    (p1, k1), (p2, _k2) = new_key(), new_key()
    client.post("/v1/batch", json={"batch": [track(), track()]}, headers=basic(k1))
    assert len(stored(conn, p1)) == 2 and stored(conn, p2) == []


# -- bodies -------------------------------------------------------------------------------------


def test_batch_with_some_bad_events_stores_the_rest_and_quarantines_them(client, project, conn):
    project_id, key = project
    good, bad1, bad2 = track(), {"type": "track", "userId": "u", "messageId": "no-event"}, "junk"
    r = client.post("/v1/batch", json={"batch": [good, bad1, bad2]}, headers=basic(key))
    assert r.status_code == 200
    answer = r.json()
    assert answer["success"] is True
    assert [(x["index"], x["reason"]) for x in answer["rejected"]] == [(1, "track_without_event"), (2, "not_an_object")]
    assert answer["rejected"][0]["messageId"] == "no-event"
    assert [row[0] for row in stored(conn, project_id)] == [good["messageId"]]
    quarantine = rejected(conn, project_id)
    assert [q[0] for q in quarantine] == ["track_without_event", "not_an_object"]
    assert (
        orjson.loads(quarantine[0][1]) == bad1
        and orjson.loads(quarantine[1][1]) == {"indexes": [2], "items": ["junk"]}
        and quarantine[0][2] == key[:12]
    )


def test_malformed_json_is_400_and_quarantined(client, project, conn):
    project_id, key = project
    r = client.post("/v1/batch", content=b'{"batch": [', headers=basic(key))
    assert r.status_code == 400 and "JSON" in r.json()["detail"]
    assert rejected(conn, project_id) == [("malformed_json", '{"batch": [', key[:12])]


def test_body_without_batch_is_400(client, project, conn):
    project_id, key = project
    assert client.post("/v1/batch", json={"events": []}, headers=basic(key)).status_code == 400
    assert client.post("/v1/track", json=[1, 2], headers=basic(key)).status_code == 400
    assert [q[0] for q in rejected(conn, project_id)] == ["no_events", "no_events"]


def test_body_over_the_limit_is_413(client, project):
    _, key = project
    big = b'{"batch": [' + b",".join([orjson.dumps(track(properties={"x": "y" * 20_000}))] * 30) + b"]}"
    assert len(big) > 500 * 1024
    assert client.post("/v1/batch", content=big, headers=basic(key)).status_code == 413

    def chunks():  # no Content-Length: the limit applies while reading
        for _ in range(60):
            yield b" " * 10_000

    assert client.post("/v1/batch", content=chunks(), headers=basic(key)).status_code == 413


def test_gzip_bodies_are_accepted(client, project, conn):
    project_id, key = project
    body = track()
    r = client.post(
        "/v1/track",
        content=gzip.compress(orjson.dumps(body)),
        headers={**basic(key), "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert r.status_code == 200 and stored(conn, project_id)[0][0] == body["messageId"]


def test_text_plain_beacon_body(client, project, conn):
    project_id, key = project
    body = {**track(), "writeKey": key}
    r = client.post("/v1/t" + "rack", content=orjson.dumps(body), headers={"Content-Type": "text/plain"})
    assert r.status_code == 200 and stored(conn, project_id)[0][0] == body["messageId"]


def test_single_endpoints_set_the_type(client, project, conn):
    project_id, key = project
    calls = {
        "page": {"anonymousId": "a", "name": "Home"},
        "screen": {"userId": "u", "name": "Main"},
        "identify": {"userId": "u", "traits": {"email": "a@b.c"}},
        "alias": {"userId": "u", "previousId": "a"},
        "group": {"userId": "u", "groupId": "g"},
        "track": {"userId": "u", "event": "E"},
    }
    for kind, body in calls.items():
        assert client.post(f"/v1/{kind}", json=body, headers=basic(key)).json() == {"success": True}
    assert sorted(row[1] for row in stored(conn, project_id)) == sorted(calls)
    r = client.post("/v1/alias", json={"userId": "u"}, headers=basic(key))
    assert r.json()["rejected"][0]["reason"] == "alias_without_previous_id"


def test_retried_batch_is_acknowledged_and_stored_once(client, project, conn):
    project_id, key = project
    batch = {"batch": [track(), track(), track()]}
    for _ in range(3):
        assert client.post("/v1/batch", json=batch, headers=basic(key)).json() == {"success": True}
    dup = {"batch": [batch["batch"][0], batch["batch"][0]]}  # duplicates inside one batch too
    assert client.post("/v1/batch", json=dup, headers=basic(key)).status_code == 200
    ids = [row[0] for row in stored(conn, project_id)]
    assert sorted(ids) == sorted(m["messageId"] for m in batch["batch"])
    assert conn.execute("SELECT count(*) FROM raw.event_keys WHERE project_id = %s", (project_id,)).fetchone()[0] == 3


def test_concurrent_retries_store_once(settings, project, conn):
    project_id, key = project
    batch = orjson.dumps({"batch": [track() for _ in range(50)]})
    app = create_app(settings)
    import httpx

    async def go():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                answers = await asyncio.gather(
                    *(c.post("/v1/batch", content=batch, headers=basic(key)) for _ in range(8))
                )
        return [a.status_code for a in answers]

    assert asyncio.run(go()) == [200] * 8
    assert conn.execute(
        "SELECT count(*), count(DISTINCT message_id) FROM raw.events WHERE project_id = %s", (project_id,)
    ).fetchone() == (50, 50)


def test_hostile_strings_are_stored_safely(client, project, conn):
    project_id, key = project
    sql = "'); DROP TABLE raw.events; --"
    nasty = {
        "type": "track",
        "event": sql,
        "userId": "u\u0000ser",
        "anonymousId": 'a\\b\t\n"c',
        "messageId": "m-" + uuid.uuid4().hex,
        "properties": {"nul": "x\u0000y", sql: sql, "big": "BIGNUM", "surrogate": "placeholder", "emoji": "\U0001f600"},
        "context": {"userAgent": "UA \u0000 with nul", "ip": "not-an-ip"},
    }
    body = orjson.dumps(nasty).replace(b'"placeholder"', b'"\\ud800 lone"').replace(b'"BIGNUM"', b"1e400")
    r = client.post("/v1/track", content=body, headers=basic(key))
    assert r.status_code == 200, r.text
    (row,) = stored(conn, project_id)
    assert row[0] == nasty["messageId"] and row[2] == sql and row[4] == "user" and row[3] == 'a\\b\t\n"c'
    assert row[6] == "UA  with nul"
    props = row[8]["properties"]
    assert (
        props["nul"] == "xy"
        and props[sql] == sql
        and props["surrogate"] == "\ufffd lone"
        and props["emoji"] == "\U0001f600"
    )
    text = conn.execute(
        "SELECT payload->'properties'->>'big' FROM raw.events WHERE project_id = %s", (project_id,)
    ).fetchone()[0]
    assert text == "1" + "0" * 400  # jsonb numbers are exact numerics
    assert conn.execute("SELECT to_regclass('raw.events')").fetchone()[0] is not None


def test_huge_integers_are_stored_exactly(client, project, conn):
    project_id, key = project
    body = b'{"type":"track","event":"e","userId":"u","properties":{"n":123456789012345678901234567890123}}'
    assert client.post("/v1/track", content=body, headers=basic(key)).status_code == 200
    n = conn.execute(
        "SELECT payload->'properties'->'n' FROM raw.events WHERE project_id = %s", (project_id,)
    ).fetchone()[0]
    assert n == 123456789012345678901234567890123


# -- capture ------------------------------------------------------------------------------------


def test_capture_without_proxy(settings, project, conn):
    project_id, key = project
    with TestClient(create_app(settings), client=("198.51.100.20", 40000)) as c:
        c.post(
            "/v1/track", json=track(), headers={**basic(key), "X-Forwarded-For": "1.2.3.4", "User-Agent": "Beacon/1"}
        )
    row = stored(conn, project_id)[0]
    assert row[5] == "198.51.100.20" and row[6] == "Beacon/1"  # XFF from an untrusted peer is ignored
    assert row[8]["context"]["ip"] == "198.51.100.20" and row[8]["receivedAt"]


def test_forwarded_for_is_honoured_from_trusted_proxies(settings, project, conn):
    project_id, key = project
    settings = settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]})
    with TestClient(create_app(settings), client=("10.0.0.5", 40000)) as c:
        c.post("/v1/track", json=track(), headers={**basic(key), "X-Forwarded-For": "9.9.9.9, 203.0.113.4, 10.1.1.1"})
        c.post("/v1/track", json=track(), headers={**basic(key), "X-Forwarded-For": "garbage"})
    ips = sorted(row[5] for row in stored(conn, project_id))
    assert ips == ["10.0.0.5", "203.0.113.4"]


# -- browsers -----------------------------------------------------------------------------------


def test_cors_preflight_and_per_project_origins(client, new_key, conn):
    project_id, key = new_key(origins=("https://shop.example.com",))
    _, other_key = new_key(origins=("https://other.example.com",))
    pre = client.options(
        "/v1/batch",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert (
        pre.headers["access-control-allow-headers"] == "authorization,content-type"
        and "POST" in pre.headers["access-control-allow-methods"]
    )
    # Other projects of this database allow any origin (the default), so the preflight of another
    # origin passes; the request itself is refused for this key's project.
    r = client.post("/v1/track", json=track(), headers={**basic(key), "Origin": "https://evil.example"})
    assert r.status_code == 403

    r = client.post("/v1/track", json=track(), headers={**basic(key), "Origin": "https://shop.example.com"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://shop.example.com"
    r = client.post("/v1/track", json=track(), headers={**basic(other_key), "Origin": "https://shop.example.com"})
    assert r.status_code == 403  # allowed for another project, not for this key's
    assert len(stored(conn, project_id)) == 1


def test_wildcard_origin(client, new_key):
    _, key = new_key(origins=("*",))
    r = client.post("/v1/track", json=track(), headers={**basic(key), "Origin": "https://anything.test"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://anything.test"


# -- limits and failures --------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(settings, project):
    _, key = project
    settings = settings.model_copy(update={"rate_per_second": 0.5, "rate_burst": 2})
    with TestClient(create_app(settings)) as c:
        codes = [c.post("/v1/track", json=track(), headers=basic(key)) for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert int(codes[2].headers["Retry-After"]) >= 1


def test_database_down_is_503_within_a_second(settings):
    dead = "postgresql://postgres@127.0.0.1:1/nothing"
    with TestClient(create_app(settings.model_copy(update={"database_url": dead}))) as c:
        start = time.monotonic()
        r = c.post("/v1/track", json=track(), headers={"X-Write-Key": "sk_live_" + "B" * 32})
        assert r.status_code == 503 and time.monotonic() - start < 1
        assert r.headers["Retry-After"] == "1"
        h = c.get("/api/v1/health")
        assert h.status_code == 503 and h.json()["database"] == "unreachable"


def test_connection_lost_after_the_key_was_cached_is_503(client, project):
    _, key = project
    assert client.post("/v1/track", json=track(), headers=basic(key)).status_code == 200
    rt = client.app.state.runtime
    rt.writer.url = "postgresql://postgres@127.0.0.1:1/nothing"

    async def cut():
        await rt.writer._conn.close()

    client.portal.call(cut)
    start = time.monotonic()
    r = client.post("/v1/track", json=track(), headers=basic(key))
    assert r.status_code == 503 and time.monotonic() - start < 1


def test_health(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}


# -- native -------------------------------------------------------------------------------------


def test_native_endpoint_202_with_rejections(client, project, conn):
    project_id, key = project
    events = [
        {
            "event_type": "page_view",
            "visitor_id": "v1",
            "session_id": "s1",
            "timestamp": "2026-01-01T10:00:00Z",
            "properties": {"url": "https://x.test/?utm_source=a", "utm_source": "a"},
        },
        {"event_type": "signup", "visitor_id": "v1", "user_id": "u1"},
        {"event_type": "broken"},
    ]
    r = client.post("/api/v1/events", json={"events": events}, headers=basic(key))
    assert r.status_code == 202
    assert r.json()["accepted"] == 2 and [x["reason"] for x in r.json()["rejected"]] == ["missing_ids"]
    rows = stored(conn, project_id)
    assert sorted((row[1], row[2]) for row in rows) == [("page", None), ("track", "signup")]
    # retry: stored once (messageIds are hashes of the events)
    client.post("/api/v1/events", json={"events": events}, headers=basic(key))
    assert len(stored(conn, project_id)) == 2


def test_native_endpoint_422_when_nothing_accepted(client, project, conn):
    project_id, key = project
    r = client.post("/api/v1/events", json={"events": [{"visitor_id": "v"}]}, headers=basic(key))
    assert r.status_code == 422 and r.json() == {
        "accepted": 0,
        "rejected": [{"index": 0, "reason": "missing_type", "detail": "the event has no type"}],
    }
    assert client.post("/api/v1/events", json={"nope": 1}, headers=basic(key)).status_code == 400
    assert client.post("/api/v1/events", content=b"{", headers=basic(key)).status_code == 400
    assert [q[0] for q in rejected(conn, project_id)] == ["missing_type", "no_events", "malformed_json"]


# -- partitions ---------------------------------------------------------------------------------


def test_partitions_exist_ahead_and_a_new_month_gets_one(settings, project, conn):
    project_id, key = project
    now = datetime.now(UTC)
    names = {
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'raw.events'::regclass"
        )
    }
    assert f"events_{now:%Y_%m}" in names
    app = create_app(settings)
    with TestClient(app) as c:
        app.state.runtime.clock = lambda: datetime(2031, 5, 17, 12, tzinfo=UTC)
        assert c.post("/v1/track", json=track(), headers=basic(key)).status_code == 200
    part = conn.execute(
        "SELECT tableoid::regclass::text FROM raw.events WHERE project_id = %s", (project_id,)
    ).fetchone()[0]
    assert part == "raw.events_2031_05"
    assert conn.execute("SELECT to_regclass('raw.events_2031_08')").fetchone()[0] is not None


def test_openapi_documents_the_contract(client):
    spec = client.get("/openapi.json").json()
    assert {
        "/v1/batch",
        "/v1/track",
        "/v1/page",
        "/v1/screen",
        "/v1/identify",
        "/v1/alias",
        "/v1/group",
        "/api/v1/events",
        "/api/v1/health",
        "/api/v1/validate",
    } <= set(spec["paths"])
    assert set(spec["components"]["securitySchemes"]) == {"basic", "bearer", "writeKey"}
    assert (
        "batch"
        in spec["paths"]["/v1/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )


def test_basic_with_password_and_lowercase_scheme(client, project):
    _, key = project
    token = base64.b64encode(f"{key}:ignored".encode()).decode()
    assert client.post("/v1/track", json=track(), headers={"Authorization": f"basic {token}"}).status_code == 200


def test_an_event_the_database_refuses_is_quarantined_and_the_rest_stored(client, project, conn):
    project_id, key = project
    good = track()
    body = orjson.dumps({"batch": [good, track(properties={"n": "OVERFLOW"})]}).replace(b'"OVERFLOW"', b"1e200000")
    r = client.post("/v1/batch", content=body, headers=basic(key))
    assert r.status_code == 200
    assert [(x["index"], x["reason"]) for x in r.json()["rejected"]] == [(1, "database_rejected")]
    assert [row[0] for row in stored(conn, project_id)] == [good["messageId"]]
    assert [q[0] for q in rejected(conn, project_id)] == ["database_rejected"]


def test_large_groups_take_the_copy_path_with_the_same_rules(client, project, conn):
    project_id, key = project
    first = [track() for _ in range(10)]
    client.post("/v1/batch", json={"batch": first}, headers=basic(key))
    big = first + [track() for _ in range(240)] + [{"type": "track", "userId": "u"}]
    body = orjson.dumps({"batch": big + [track(properties={"n": "OVERFLOW"})]}).replace(b'"OVERFLOW"', b"1e200000")
    r = client.post("/v1/batch", content=body, headers=basic(key))
    assert r.status_code == 200
    assert [(x["index"], x["reason"]) for x in r.json()["rejected"]] == [
        (250, "track_without_event"),
        (251, "database_rejected"),
    ]
    assert conn.execute(
        "SELECT count(*), count(DISTINCT message_id) FROM raw.events WHERE project_id = %s", (project_id,)
    ).fetchone() == (250, 250)
    assert sorted(q[0] for q in rejected(conn, project_id)) == ["database_rejected", "track_without_event"]
