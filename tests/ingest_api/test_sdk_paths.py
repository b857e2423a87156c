"""The SDK paths' contract (FastAPI TestClient on the test database): keys on every new path, the
configuration answers, body encodings and their limits, quarantine, retries, CORS for SDK headers,
and PostHog's mapping onto the raw contract."""

from __future__ import annotations

import base64
import gzip
import os
import uuid
from urllib.parse import quote

import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient
from ingest_helpers import basic

from ingest_api import posthog
from ingest_api.app import create_app
from ingest_api.auth import key_in_body, normalize_key
from ingest_api.config import IngestSettings
from touchline import db
from touchline.keys import create_key

UNKNOWN = "sk_live_" + "Z" * 32


def _seg(**kw):
    return {"anonymousId": "a-1", "event": "E", "messageId": str(uuid.uuid4()), **kw}


def _ph(token=None, **kw):
    ev = {"event": "Clicked", "distinct_id": "d-1", "uuid": str(uuid.uuid4()), "properties": {}, **kw}
    if token:
        ev["properties"]["token"] = token
    return ev


def stored(conn, project_id):
    return conn.execute(
        "SELECT type, event, anonymous_id, user_id, previous_id, payload FROM raw.events"
        " WHERE project_id = %s ORDER BY received_at, message_id",
        (project_id,),
    ).fetchall()


def rejected(conn, project_id):
    return conn.execute(
        "SELECT reason, payload FROM raw.rejected_events WHERE project_id = %s ORDER BY rejected_id", (project_id,)
    ).fetchall()


# -- keys -------------------------------------------------------------------------------------------

# (method, path with {key}, body with {key}, key header) for every path this issue adds
NEW_PATHS = [
    *[("POST", f"/v1/{p}", lambda k: {**_seg(previousId="old"), "writeKey": k}, False) for p in "tpiags"],
    ("POST", "/v1/b", lambda k: {"batch": [_seg(type="track")], "writeKey": k}, False),
    ("POST", "/v1/import", lambda k: {"batch": [_seg(type="track")]}, True),
    ("GET", "/v1/projects/{key}/settings", None, False),
    ("GET", "/sourceConfig/?writeKey={key}", None, False),
    ("POST", "/beacon/v1/batch?writeKey={key}", lambda k: {"batch": [_seg(type="track")]}, False),
    ("POST", "/api/s/track", lambda k: _seg(type="track"), True),
    ("POST", "/api/s/s2s/track", lambda k: _seg(type="track"), True),
    ("POST", "/e/", lambda k: _ph(k), False),
    ("POST", "/i/v0/e/", lambda k: [_ph(k)], False),
    ("POST", "/batch/", lambda k: {"api_key": k, "batch": [_ph()]}, False),
    ("POST", "/capture/", lambda k: {"api_key": k, **_ph()}, False),
    ("POST", "/flags/?v=2", lambda k: {"token": k, "distinct_id": "d"}, False),
    ("POST", "/decide/?v=4", lambda k: {"token": k, "distinct_id": "d"}, False),
    ("GET", "/array/{key}/config", None, False),
    ("GET", "/array/{key}/config.js", None, False),
]


def _call(client, method, path, body, header, key):
    headers = {"X-Write-Key": key} if header else {}
    url = path.replace("{key}", quote(key))
    content = orjson.dumps(body(key)) if body else None
    return client.request(method, url, content=content, headers={**headers, "Content-Type": "text/plain"})


@pytest.mark.parametrize(("method", "path", "body", "header"), NEW_PATHS, ids=[p[1] for p in NEW_PATHS])
def test_new_paths_answer_with_a_good_key_and_401_without(client, project, conn, method, path, body, header):
    project_id, key = project
    before = conn.execute("SELECT count(*) FROM raw.events").fetchone()[0]
    for bad, detail in (
        (UNKNOWN, "unknown write key"),
        ("", "missing write key"),
        ("sk_live_short", "malformed write key"),
    ):
        r = _call(client, method, path, body, header, bad)
        if bad == "" and "{key}" in path and not path.startswith("/sourceConfig") and "?" not in path:
            assert r.status_code in (401, 404)  # an empty path segment is no route at all
            continue
        assert r.status_code == 401, (bad, r.text)
        assert r.headers["content-type"] == "application/json"
        assert r.json()["detail"] in (
            (detail, "malformed write key") if bad == "" else (detail,)
        )  # "" is sent as empty
    assert conn.execute("SELECT count(*) FROM raw.events").fetchone()[0] == before  # nothing stored
    r = _call(client, method, path, body, header, key)
    assert r.status_code == 200, r.text
    assert rejected(conn, project_id) == []
    if body and "flags" not in path and "decide" not in path:
        assert len(stored(conn, project_id)) == 1


def test_jitsu_key_secret_form():
    key = "sk_live_" + "A" * 32
    assert normalize_key(f"{key[:12]}:{key[12:]}") == key  # the key cut after its display prefix
    assert normalize_key(f"{key}:anything") == key
    assert normalize_key(key) == key
    assert key_in_body([{"properties": {"token": key}}]) == key
    assert key_in_body({"api_key": key, "batch": []}) == key
    assert key_in_body({"batch": [{"properties": {"token": key}}]}) == key


def test_jitsu_answers_json_and_takes_its_key_form(client, project, conn):
    project_id, key = project
    r = client.post("/api/s/page", json=_seg(type="page"), headers={"X-Write-Key": f"{key[:12]}:{key[12:]}"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    r = client.post("/api/s/track", json={"anonymousId": "a"}, headers={"X-Write-Key": f"{key}:secret"})
    assert (
        r.status_code == 200 and r.json()["ok"] is True and r.json()["rejected"][0]["reason"] == "track_without_event"
    )
    assert [row[0] for row in stored(conn, project_id)] == ["page"]
    assert [q[0] for q in rejected(conn, project_id)] == ["track_without_event"]


# -- configuration the SDKs fetch at start ------------------------------------------------------------


def test_segment_settings_point_back_here(client, project):
    _, key = project
    s = client.get(f"/v1/projects/{key}/settings").json()
    assert s["integrations"]["Segment.io"] == {
        **s["integrations"]["Segment.io"],
        "apiKey": key,
        "apiHost": "testserver/v1",
        "protocol": "http",
    }
    assert list(s["integrations"]) == ["Segment.io"] and s["metrics"]["sampleRate"] == 0


def test_rudderstack_source_config(client, project):
    project_id, key = project
    c = client.get("/sourceConfig/", params={"p": "npm", "v": "3.34.1", "writeKey": key}).json()
    assert c["source"]["enabled"] is True and c["source"]["destinations"] == [] and c["source"]["id"] == project_id
    assert client.get("/sourceConfig", headers=basic(key)).status_code == 200


def test_posthog_config_and_flags(client, project):
    _, key = project
    config = client.get(f"/array/{key}/config").json()
    assert config["token"] == key and config["sessionRecording"] is False and config["analytics"]["endpoint"] == "/e/"
    script = client.get(f"/array/{key}/config.js")
    assert (
        script.headers["content-type"].startswith("application/javascript") and "_POSTHOG_REMOTE_CONFIG" in script.text
    )
    flags = client.post("/flags/?v=2&config=true", json={"token": key, "distinct_id": "d-1"}).json()
    assert flags["flags"] == {} and flags["featureFlags"] == {} and flags["errorsWhileComputingFlags"] is False
    assert client.get("/flags/", params={"token": key}).status_code == 200


def test_segment_metrics_are_dropped(client, conn):
    before = conn.execute("SELECT count(*) FROM raw.events").fetchone()[0]
    r = client.post(
        "/v1/m",
        content=b'{"series":[{"type":"Counter","metric":"analytics_js.invoke","value":1}]}',
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 200
    assert conn.execute("SELECT count(*) FROM raw.events").fetchone()[0] == before


# -- encodings, limits, quarantine, retries ------------------------------------------------------------


def test_posthog_bodies_in_every_encoding(client, project, conn):
    project_id, key = project
    body = lambda: orjson.dumps({"api_key": key, "batch": [_ph()]})  # noqa: E731
    cases = [
        ("/e/?compression=gzip-js", gzip.compress(body()), {"Content-Type": "text/plain"}),
        ("/e/", gzip.compress(body()), {"Content-Type": "text/plain"}),  # gzip known by its magic bytes
        ("/batch/", gzip.compress(body()), {"Content-Encoding": "gzip", "Content-Type": "application/json"}),
        (
            "/e/?compression=base64",
            b"data=" + quote(base64.b64encode(body())).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        (
            "/e/",
            b"data=" + quote(base64.b64encode(body())).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        ("/e/", body(), {"Content-Type": "text/plain"}),
    ]
    for path, content, headers in cases:
        r = client.post(path, content=content, headers=headers)
        assert r.status_code == 200 and r.json() == {"status": 1}, (path, r.text)
    assert len(stored(conn, project_id)) == len(cases)


def test_unreadable_bodies_are_quarantined_with_a_reason(client, project, conn):
    project_id, key = project
    r = client.post(f"/e/?compression=gzip-js&token={key}", content=b"\x1f\x8bnot really gzip")
    assert r.status_code == 400
    r = client.post(
        f"/e/?token={key}", content=b"data=%%%not-base64", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 400
    r = client.post("/api/s/track", content=b"{not json", headers={"X-Write-Key": key})
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    assert [q[0] for q in rejected(conn, project_id)] == ["bad_encoding", "bad_encoding", "malformed_json"]
    assert stored(conn, project_id) == []


def test_limits_hold_after_decoding(client, project, conn):
    project_id, key = project
    huge = orjson.dumps({"api_key": key, "batch": [_ph(properties={"x": "y" * 300_000})] * 2})
    assert len(huge) > 500 * 1024
    assert client.post("/e/?compression=gzip-js", content=gzip.compress(huge)).status_code == 413
    assert (
        client.post(
            "/e/",
            content=b"data=" + quote(base64.b64encode(huge)).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).status_code
        == 413
    )
    big_event = orjson.dumps({"api_key": key, "batch": [_ph(properties={"x": "y" * 40_000}), _ph()]})
    r = client.post("/batch/", content=gzip.compress(big_event), headers={"Content-Encoding": "gzip"})
    assert r.status_code == 200 and [x["reason"] for x in r.json()["rejected"]] == ["too_large"]
    assert [q[0] for q in rejected(conn, project_id)] == ["too_large"] and len(stored(conn, project_id)) == 1


def test_retries_of_every_sdk_are_stored_once(client, project, conn):
    project_id, key = project
    calls = [
        ("/e/", orjson.dumps({"api_key": key, "batch": [_ph(), _ph()]}), {}),  # PostHog uuid
        ("/e/", orjson.dumps([{k: v for k, v in _ph(key).items() if k != "uuid"}]), {}),  # no uuid: content hash
        ("/api/s/track", orjson.dumps(_seg(type="track")), {"X-Write-Key": key}),  # Jitsu
        (f"/beacon/v1/batch?writeKey={key}", orjson.dumps({"batch": [_seg(type="track")]}), {}),  # RudderStack beacon
        ("/v1/t", orjson.dumps({**_seg(), "writeKey": key}), {"X-Retry-Count": "1"}),  # analytics.js
    ]
    for path, content, headers in calls:
        for _ in range(2):
            assert (
                client.post(path, content=content, headers={"Content-Type": "text/plain", **headers}).status_code == 200
            )
    assert len(stored(conn, project_id)) == 6


# -- browsers -----------------------------------------------------------------------------------


def test_preflight_allows_the_headers_sdks_send(client, project):
    _, key = project
    asked = "authorization,content-type,anonymousid,sentat,rsa-retry-attempt,x-retry-count,x-write-key"
    pre = client.options(
        "/v1/track",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": asked,
        },
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-headers"] == asked
    assert pre.headers["access-control-allow-origin"] == "https://shop.example"
    assert pre.headers["access-control-allow-credentials"] == "true"
    r = client.post("/v1/projects/x/settings".replace("x", key), headers={"Origin": "https://shop.example"})
    assert r.status_code == 405  # settings are GET only
    r = client.get(f"/v1/projects/{UNKNOWN}/settings", headers={"Origin": "https://shop.example"})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == "https://shop.example"


# -- PostHog onto the raw contract -------------------------------------------------------------------


def test_posthog_mapping():
    anon = "018f-device"
    page = posthog.to_segment(
        {
            "event": "$pageview",
            "uuid": "u1",
            "timestamp": "2026-11-20T10:00:00Z",
            "properties": {
                "distinct_id": anon,
                "$device_id": anon,
                "$is_identified": False,
                "$lib": "web",
                "$lib_version": "1.449.2",
                "$current_url": "https://shop.example/p?utm_source=news&x=1",
                "$pathname": "/p",
                "$referrer": "$direct",
                "title": "P",
                "utm_source": "news",
                "$raw_user_agent": "Mozilla/5.0",
                "$screen_width": 800,
                "$screen_height": 600,
                "token": "sk_live_secret",
                "$feature": "kept",
            },
        },
        "2026-11-20T10:00:01Z",
    )
    assert page["properties"] == {
        "$is_identified": False,
        "$feature": "kept",
        "$referrer": "$direct",
    }  # no key, nothing twice
    assert page["type"] == "page" and page["messageId"] == "u1" and page["anonymousId"] == anon and "userId" not in page
    assert page["sentAt"] == "2026-11-20T10:00:01Z" and page["timestamp"] == "2026-11-20T10:00:00Z"
    assert page["context"]["page"] == {
        "url": "https://shop.example/p?utm_source=news&x=1",
        "path": "/p",
        "title": "P",
        "search": "?utm_source=news&x=1",
    }
    assert page["context"]["campaign"] == {"source": "news"} and page["context"]["userAgent"] == "Mozilla/5.0"
    assert page["context"]["library"] == {"name": "web", "version": "1.449.2"}

    identify = posthog.to_segment(
        {
            "event": "$identify",
            "distinct_id": "u-1",
            "$set": {"plan": "pro"},
            "$set_once": {"plan": "free", "first": "a"},
            "properties": {"$anon_distinct_id": anon, "$device_id": anon},
        }
    )
    assert (identify["type"], identify["userId"], identify["anonymousId"]) == ("identify", "u-1", anon)
    assert identify["traits"] == {"plan": "pro", "first": "a"}  # $set wins over $set_once

    server = posthog.to_segment({"event": "Order Completed", "distinct_id": "u-1", "properties": {"revenue": 5}})
    assert (server["type"], server["event"], server["userId"], "anonymousId" in server) == (
        "track",
        "Order Completed",
        "u-1",
        False,
    )
    anonymous = posthog.to_segment(
        {"event": "Clicked", "distinct_id": anon, "properties": {"$process_person_profile": False}}
    )
    assert anonymous["anonymousId"] == anon and "userId" not in anonymous

    alias = posthog.to_segment({"event": "$create_alias", "distinct_id": "u-1", "properties": {"alias": "old-1"}})
    assert (alias["type"], alias["previousId"], alias["userId"]) == ("alias", "old-1", "u-1")
    group = posthog.to_segment(
        {
            "event": "$groupidentify",
            "distinct_id": "u-1",
            "properties": {"$group_type": "company", "$group_key": "acme", "$group_set": {"name": "ACME"}},
        }
    )
    assert (group["type"], group["groupId"], group["traits"]) == ("group", "acme", {"name": "ACME"})
    person = posthog.to_segment({"event": "$set", "distinct_id": "u-1", "properties": {"$set": {"email": "a@b.c"}}})
    assert (person["type"], person["userId"], person["traits"]) == ("identify", "u-1", {"email": "a@b.c"})
    assert posthog.events_of({"api_key": "k", "batch": [1, 2], "sent_at": "t"}) == ([1, 2], "t")
    assert posthog.events_of({"nothing": 1}) is None


def test_preflight_is_refused_when_no_project_allows_the_origin(database_url):
    """Here every other test project allows any origin (the default), so this needs a database of its own."""
    from tests.db_helpers import migrated_database

    with migrated_database(db.server_url(), f"touchline_test_cors_{os.getpid()}") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            create_key(conn, "shop")
            conn.execute("UPDATE ops.projects SET allowed_origins = '{https://shop.example}'")
        with TestClient(create_app(IngestSettings(DATABASE_URL=url))) as client:
            ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-write-key"}
            assert client.options("/api/s/track", headers={**ask, "Origin": "https://shop.example"}).status_code == 204
            bad = client.options("/api/s/track", headers={**ask, "Origin": "https://evil.example"})
            assert bad.status_code == 403 and "access-control-allow-origin" not in bad.headers
