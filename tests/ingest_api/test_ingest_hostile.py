"""Hostile bodies: long identifiers, any nesting, huge batches, keys in quarantined bodies, the rate
limit before the body, and 503s that say no more than "storage unavailable"."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import orjson
import pytest
import uvicorn
from fastapi.testclient import TestClient
from ingest_helpers import basic, free_port

from ingest_api.app import create_app
from ingest_api.events import MAX_ID_CHARS, MAX_LISTED_REJECTIONS, dumps_any_depth


def track(**kw):
    return {"type": "track", "event": "Clicked", "anonymousId": "anon-1", "messageId": str(uuid.uuid4()), **kw}


def stored_ids(conn, project_id):
    return [r[0] for r in conn.execute("SELECT message_id FROM raw.events WHERE project_id = %s", (project_id,))]


def quarantined(conn, project_id):
    return conn.execute(
        "SELECT reason, payload FROM raw.rejected_events WHERE project_id = %s ORDER BY rejected_id", (project_id,)
    ).fetchall()


def nested(depth: int):
    value: object = "leaf"
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize("field", ["anonymousId", "userId", "previousId", "groupId", "event"])
def test_an_identifier_over_the_limit_goes_to_quarantine_with_a_reason(client, project, conn, field):
    project_id, key = project
    ok = track(userId="u1")
    long = {**track(type="alias" if field == "previousId" else "track", previousId="p"), field: "x" * 3000}
    edge = (
        track(**{field: "y" * MAX_ID_CHARS})
        if field != "previousId"
        else track(type="alias", previousId="y" * MAX_ID_CHARS, userId="u")
    )
    r = client.post("/v1/batch", json={"batch": [ok, long, edge]}, headers=basic(key))
    assert r.status_code == 200
    assert [(x["index"], x["reason"]) for x in r.json()["rejected"]] == [(1, "identifier_too_long")]
    assert sorted(stored_ids(conn, project_id)) == sorted([ok["messageId"], edge["messageId"]])
    ((reason, payload),) = quarantined(conn, project_id)
    assert reason == "identifier_too_long" and orjson.loads(payload)[field] == "x" * 3000


def test_a_huge_numeric_id_is_too_long_too(client, project, conn):
    project_id, key = project
    body = b'{"batch": [{"type": "identify", "messageId": "m-num", "userId": ' + b"9" * 400 + b"}]}"
    r = client.post("/v1/batch", content=body, headers={**basic(key), "content-type": "application/json"})
    assert r.status_code == 200 and r.json()["rejected"][0]["reason"] == "identifier_too_long"
    assert stored_ids(conn, project_id) == []


@pytest.mark.parametrize("depth", [33, 254, 256, 300, 1000])
def test_deep_events_are_rejected_alone_never_a_5xx(client, project, conn, depth):
    project_id, key = project
    deep = track(properties=nested(depth))
    ok = track()
    body = b'{"batch": [' + orjson.dumps(ok) + b", " + dumps_any_depth(deep).encode() + b"]}"
    r = client.post("/v1/batch", content=body, headers={**basic(key), "content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert [(x["index"], x["reason"]) for x in r.json()["rejected"]] == [(1, "too_deep")]
    assert stored_ids(conn, project_id) == [ok["messageId"]]
    ((reason, payload),) = quarantined(conn, project_id)
    assert reason == "too_deep"
    # the quarantined payload is the event itself, every level kept
    assert orjson.loads(payload) == deep if depth < 255 else payload.count('{"a":') == depth - 1


@pytest.mark.parametrize("depth", [1100, 20000])
def test_bodies_nested_beyond_any_parser_are_400_and_quarantined(client, project, conn, depth):
    project_id, key = project
    body = b'{"batch": [' + b"[" * depth + b"]" * depth + b"]}"
    r = client.post("/v1/batch", content=body, headers={**basic(key), "content-type": "application/json"})
    assert r.status_code == 400, r.text
    ((reason, payload),) = quarantined(conn, project_id)
    assert reason in ("too_deep", "malformed_json") and len(payload) == len(body)


def test_a_deep_batch_context_is_too_deep_for_each_event(client, project, conn):
    _project_id, key = project
    r = client.post("/v1/batch", json={"batch": [track(), track()], "context": {"x": nested(300)}}, headers=basic(key))
    assert r.status_code == 200
    assert [x["reason"] for x in r.json()["rejected"]] == ["too_deep", "too_deep"]


def test_a_batch_over_the_item_limit_is_413_and_one_quarantine_row(client, project, conn):
    project_id, key = project
    limit = client.app.state.runtime.limits.max_batch_items
    r = client.post("/v1/batch", json={"batch": [track() for _ in range(limit + 1)]}, headers=basic(key))
    assert r.status_code == 413 and str(limit) in r.json()["detail"]
    assert stored_ids(conn, project_id) == []
    rows = quarantined(conn, project_id)
    assert [row[0] for row in rows] == ["too_many_events"]
    assert len(orjson.loads(rows[0][1])["batch"]) == limit + 1  # nothing lost


def test_tiny_junk_items_give_one_summarised_row_and_a_small_answer(client, project, conn):
    project_id, key = project
    limit = client.app.state.runtime.limits.max_batch_items
    items = [0] * (limit - 1) + [track()]
    r = client.post("/v1/batch", json={"batch": items}, headers=basic(key))
    assert r.status_code == 200 and len(r.content) < 1000
    (rej,) = r.json()["rejected"]
    assert rej["reason"] == "not_an_object" and rej["count"] == limit - 1 and rej["index"] == 0
    ((reason, payload),) = quarantined(conn, project_id)
    assert reason == "not_an_object" and orjson.loads(payload)["indexes"] == list(range(limit - 1))
    assert len(stored_ids(conn, project_id)) == 1


def test_many_bad_events_are_all_quarantined_and_the_answer_lists_a_bounded_number(client, project, conn):
    project_id, key = project
    r = client.post("/v1/batch", json={"batch": [{"type": "track", "anonymousId": "a"}] * 500}, headers=basic(key))
    assert r.status_code == 200
    assert len(r.json()["rejected"]) == MAX_LISTED_REJECTIONS
    assert len(quarantined(conn, project_id)) == 500


def test_write_keys_never_reach_the_quarantine(client, project, conn):
    project_id, key = project
    other = "sk_test_" + "Q" * 32
    bodies = [
        b'{"writeKey": "' + key.encode() + b'", "batch": [ not json',  # unreadable body, key inside
        orjson.dumps({"writeKey": key, "batch": [{"type": "track", "anonymousId": "a", "note": other}]}),
        orjson.dumps({"writeKey": key, "batch": {"not": "a list"}, "write_key": "typo-" + key}),
    ]
    for body in bodies:
        r = client.post("/v1/batch", content=body, headers={**basic(key), "content-type": "application/json"})
        assert r.status_code in (200, 400), r.text
    rows = quarantined(conn, project_id)
    assert len(rows) == 3
    for _, payload in rows:
        assert key not in payload and key[8:] not in payload and other not in payload
        assert "[redacted]" in payload


def test_503_says_storage_unavailable_and_nothing_more(settings):
    dead = "postgresql://postgres:hunter2secret@127.0.0.1:1/nothing"
    with TestClient(create_app(settings.model_copy(update={"database_url": dead}))) as c:
        r = c.post("/v1/track", json=track(), headers={"X-Write-Key": "sk_live_" + "B" * 32})
    assert r.status_code == 503 and r.json() == {"detail": "storage unavailable"}


def test_the_rate_limit_answers_before_the_body_is_sent(settings, project):
    """A client over its rate gets 429 although it has sent only the headers of a large body."""
    _, key = project
    app = create_app(settings.model_copy(update={"rate_per_second": 0.001, "rate_burst": 1}))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        auth = basic(key)["Authorization"]

        def send_headers(length: int) -> bytes:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(
                    f"POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode()
                )
                if length < 1000:
                    s.sendall(orjson.dumps(track()).ljust(length))
                return s.recv(4096)

        assert send_headers(len(orjson.dumps(track()))).startswith(b"HTTP/1.1 200")
        t = time.monotonic()
        answer = send_headers(400_000)  # headers only: the body never comes
        assert answer.startswith(b"HTTP/1.1 429") and time.monotonic() - t < 2
    finally:
        server.should_exit = True
        thread.join(10)
