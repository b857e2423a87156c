"""The server SDKs, unchanged, from their packages (npm for Node, PyPI for Python) against a real server:
each event lands exactly once in raw.events, on the raw contract of Segment messages. analytics-java
(`POST /v1/import`) is reproduced request for request from its source, the one SDK not run itself."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from posthog import Posthog
from sdk_harness import has_types, need_node, raw_rows, run_node, wait_for

FIVE = ["identify", "track", "page", "group", "alias"]


def _one(rows: list[dict], kind: str) -> dict:
    found = [r for r in rows if r["type"] == kind]
    assert len(found) == 1, f"{kind}: {len(found)} rows in {[(r['type'], r['event']) for r in rows]}"
    return found[0]


def _check_server_events(rows: list[dict], run: str, kinds: list[str]) -> None:
    assert sorted(r["type"] for r in rows) == sorted(kinds)
    assert len({r["message_id"] for r in rows}) == len(rows)
    for row in rows:
        if row["type"] != "alias":
            assert row["user_id"] == f"user-{run}", row
    track = _one(rows, "track")
    assert track["event"] == "Order Completed" and track["payload"]["properties"]["revenue"] == 42.5
    assert _one(rows, "group")["payload"]["groupId"] == f"acme-{run}"
    if "alias" in kinds:
        alias = _one(rows, "alias")
        assert alias["previous_id"] == f"legacy-{run}" and alias["user_id"] == f"user-{run}"


@pytest.mark.parametrize(
    ("sdk", "kinds", "library"),
    [
        ("segment", FIVE, "@segment/analytics-node"),
        ("rudderstack", FIVE, "analytics-node"),
        ("jitsu", FIVE[:4], "@jitsu/js"),
        ("jitsu-s2s", FIVE[:4], "@jitsu/js"),
        ("posthog", FIVE, "posthog-node"),
    ],
)
def test_node_sdk(live_server, project, conn, sdk, kinds, library):
    need_node()
    project_id, key = project
    run = uuid.uuid4().hex[:10]
    output = run_node("node_sdks.mjs", sdk, live_server, key, run)
    assert wait_for(has_types(conn, project_id, kinds), timeout=15), output
    rows = raw_rows(conn, project_id)
    assert not any(key in json.dumps(r["payload"]) for r in rows)  # the write key is never stored
    if sdk == "posthog":  # getFeatureFlag reports its use as an event of its own
        assert [r["type"] for r in rows if r["event"] == "$feature_flag_called"] == ["track"]
        rows = [r for r in rows if r["event"] != "$feature_flag_called"]
    _check_server_events(rows, run, kinds)
    assert library in rows[0]["payload"]["context"]["library"]["name"]
    if sdk == "posthog":
        page = _one(rows, "page")
        assert page["payload"]["context"]["page"]["url"] == "https://shop.example/pricing?utm_source=news"
        identify = _one(rows, "identify")
        assert identify["payload"]["traits"] == {"email": f"ada-{run}@example.com", "plan": "pro", "first_plan": "free"}


def test_posthog_python(live_server, project, conn):
    project_id, key = project
    run = uuid.uuid4().hex[:10]
    errors: list = []
    for gzip in (False, True):
        client = Posthog(
            key,
            host=live_server,
            sync_mode=True,
            gzip=gzip,
            on_error=lambda e, batch: errors.append(e),
            max_retries=0,
            disable_geoip=False,
        )
        user = f"user-{run}"
        client.set(distinct_id=user, properties={"email": f"ada-{run}@example.com", "plan": "pro"})
        client.capture("Order Completed", distinct_id=user, properties={"revenue": 42.5, "currency": "EUR"})
        client.capture("$pageview", distinct_id=user, properties={"$current_url": "https://shop.example/"})
        client.group_identify("company", f"acme-{run}", {"name": "ACME"}, distinct_id=user)
        client.alias(previous_id=user, distinct_id=f"legacy-{run}")  # its docs: (existing id, new alias)
        assert not client.feature_enabled("new-checkout", user)  # /flags/: touchline has no flags
        client.shutdown()
    assert errors == []
    rows = raw_rows(conn, project_id)
    flag_calls = [r for r in rows if r["event"] == "$feature_flag_called"]  # the SDK reports flag use
    rows = [r for r in rows if r["event"] != "$feature_flag_called"]
    assert len(flag_calls) <= 2
    assert sorted(r["type"] for r in rows) == sorted(FIVE * 2)
    assert len({r["message_id"] for r in rows}) == 10
    identify = next(r for r in rows if r["type"] == "identify")
    assert identify["user_id"] == f"user-{run}" and identify["payload"]["traits"]["plan"] == "pro"
    assert identify["payload"]["context"]["library"]["name"] == "posthog-python"


def test_analytics_java_import(client, project, conn):
    """What analytics-java's `SegmentService.upload` sends (Retrofit, `@POST("v1/import")`): a Batch
    `{"batch", "sentAt", "context", "sequence"}` as application/json, the key as Basic user name, its
    User-Agent `analytics-java/<version>`; a retry sends the same messageIds."""
    project_id, key = project
    run = uuid.uuid4().hex[:10]
    batch = {
        "batch": [
            {
                "type": "identify",
                "messageId": f"{run}-1",
                "userId": f"user-{run}",
                "traits": {"plan": "pro"},
                "timestamp": "2026-11-20T10:00:00.000Z",
                "context": {"library": {"name": "analytics-java", "version": "3.5.1"}},
                "integrations": {},
            },
            {
                "type": "track",
                "messageId": f"{run}-2",
                "userId": f"user-{run}",
                "event": "Order Completed",
                "properties": {"revenue": 42.5},
                "timestamp": "2026-11-20T10:00:01.000Z",
                "context": {"library": {"name": "analytics-java", "version": "3.5.1"}},
                "integrations": {},
            },
        ],
        "sentAt": "2026-11-20T10:00:02.000Z",
        "context": {"library": {"name": "analytics-java", "version": "3.5.1"}},
        "sequence": 0,
    }
    headers = {
        "Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode(),
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "analytics-java/3.5.1",
    }
    for _ in range(2):  # the retry is stored once
        r = client.post("/v1/import", json=batch, headers=headers)
        assert r.status_code == 200 and r.json() == {"success": True}
    rows = raw_rows(conn, project_id)
    assert [(r["type"], r["message_id"]) for r in rows] == [("identify", f"{run}-1"), ("track", f"{run}-2")]
    assert rows[1]["user_agent"] == "analytics-java/3.5.1"
    assert all(r["payload"]["context"]["touchline"] == {"import": True} for r in rows)  # an import keeps old times


def test_only_import_marks_messages_as_an_import(client, project, conn):
    project_id, key = project
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    old = {"type": "track", "userId": "u-hist", "event": "Order Completed", "timestamp": "2009-03-01T10:00:00Z"}
    assert (
        client.post("/v1/batch", json={"batch": [{**old, "messageId": "not-import"}]}, headers=headers).status_code
        == 200
    )
    assert (
        client.post(
            "/v1/import",
            json={"batch": [{**old, "messageId": "import", "context": {"touchline": {"x": 1}}}]},
            headers=headers,
        ).status_code
        == 200
    )
    marks = {r["message_id"]: r["payload"].get("context", {}).get("touchline") for r in raw_rows(conn, project_id)}
    assert marks == {"not-import": None, "import": {"x": 1, "import": True}}
