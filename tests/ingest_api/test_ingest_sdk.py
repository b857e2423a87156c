"""The real Segment Python SDK, unchanged, against a real server: its events land in raw.events."""

from __future__ import annotations

import uuid

import segment.analytics as analytics


def _configure(base_url: str, key: str, errors: list, gzip: bool = False) -> None:
    analytics.default_client = None  # rebuilt from the module settings on next use
    analytics.write_key = key
    analytics.host = base_url
    analytics.sync_mode = True
    analytics.gzip = gzip
    analytics.max_retries = 0
    analytics.on_error = lambda error, items: errors.append(error)


def test_segment_sdk_events_are_stored(live_server, project, conn):
    project_id, key = project
    errors: list = []
    run = uuid.uuid4().hex
    for gzip in (False, True):
        _configure(live_server, key, errors, gzip)
        analytics.identify(f"user-{run}", {"email": "a@example.com", "plan": "pro"})
        analytics.track(
            f"user-{run}",
            "Order Completed",
            {"revenue": 42.5, "currency": "EUR"},
            context={"ip": "203.0.113.10", "page": {"url": "https://shop.example.com/thanks"}},
        )
        analytics.page(f"user-{run}", "Docs", "Getting started", {"url": "https://example.com/docs"})
        analytics.screen(f"user-{run}", "App", "Home")
        analytics.group(f"user-{run}", "group-1", {"name": "ACME"})
        analytics.alias(f"anon-{run}", f"user-{run}")
        analytics.flush()
    analytics.default_client = None
    assert errors == []
    rows = conn.execute(
        "SELECT type, event, user_id, previous_id, host(ip), payload FROM raw.events WHERE project_id = %s",
        (project_id,),
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(["identify", "track", "page", "screen", "group", "alias"] * 2)
    tracked = next(r for r in rows if r[0] == "track")
    assert tracked[1] == "Order Completed" and tracked[2] == f"user-{run}" and tracked[4] == "203.0.113.10"
    payload = tracked[5]
    assert payload["properties"]["revenue"] == 42.5 and payload["context"]["library"]["name"] == "analytics-python"
    assert payload["messageId"] and payload["receivedAt"] and payload["sentAt"]
    assert [r[3] for r in rows if r[0] == "alias"] == [f"anon-{run}"] * 2
