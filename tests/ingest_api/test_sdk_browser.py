"""The browser SDKs, unchanged, from their npm packages, in headless Chromium, on a page served from
another origin (http://localhost:PORT) than the API (http://127.0.0.1:PORT), with default options except
the host settings their self-hosting docs give: page, identify, track, group and alias (where the SDK has
one) each land exactly once in raw.events, on the raw contract of Segment messages."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import pytest
from sdk_harness import Page, has_types, need_browser, raw_rows, static_site, wait_for


@pytest.fixture(scope="module")
def site():
    with static_site() as url:
        yield url


def _open(site: str, sdk: str, api: str, key: str, run: str) -> Page:
    need_browser()
    # The key travels reversed ("yek"): SDKs record the page URL, and the key itself must not be in it
    # for the check that no key is ever stored to mean something.
    return Page(f"{site}/pages/{sdk}.html?" + urlencode({"api": api, "yek": key[::-1], "run": run}))


def _deliver(site, live_server, project, conn, sdk: str, wanted: list[str]) -> tuple[str, list[dict], str]:
    """Open the SDK's page, wait until the wanted types are in raw.events, close it (SDKs flush on
    unload), and return (run id, rows, browser log)."""
    project_id, key = project
    run = uuid.uuid4().hex[:10]
    page = _open(site, sdk, live_server, key, run)
    try:
        landed = wait_for(has_types(conn, project_id, wanted))
    finally:
        log = page.close()
    rows = raw_rows(conn, project_id)
    assert landed, f"{sdk}: wanted {wanted}, raw.events has {[r['type'] for r in rows]}\nbrowser: {log}"
    assert not any(key in json.dumps(r["payload"]) for r in rows)  # the write key is never stored
    return run, rows, log


def _one(rows: list[dict], kind: str, **match) -> dict:
    found = [r for r in rows if r["type"] == kind and all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, f"{kind} {match}: {len(found)} rows in {[(r['type'], r['event']) for r in rows]}"
    return found[0]


def _visit_then_login(rows: list[dict], run: str, site: str, sdk: str) -> tuple[str, dict]:
    """The page view is anonymous, from the browser on the test page; the identify joins the same
    anonymous id to the user. Returns (anonymous id, identify row)."""
    page = _one(rows, "page")
    anonymous = page["anonymous_id"]
    assert anonymous and page["user_id"] is None
    assert page["payload"]["context"]["page"]["url"].startswith(f"{site}/pages/{sdk}.html")
    assert "Chrome" in page["user_agent"]
    return anonymous, _one(rows, "identify", user_id=f"user-{run}", anonymous_id=anonymous)


def test_analytics_next(site, live_server, project, conn):
    run, rows, _ = _deliver(
        site, live_server, project, conn, "segment", ["page", "identify", "track", "group", "alias"]
    )
    anonymous, identify = _visit_then_login(rows, run, site, "segment")
    assert identify["payload"]["traits"] == {"email": f"ada-{run}@example.com", "plan": "pro"}
    track = _one(rows, "track", event="Order Completed", user_id=f"user-{run}", anonymous_id=anonymous)
    assert track["payload"]["properties"] == {"revenue": 42.5, "currency": "EUR"}
    assert track["payload"]["context"]["library"]["name"] == "analytics.js"
    assert _one(rows, "group")["payload"]["groupId"] == f"acme-{run}"
    assert _one(rows, "alias")["previous_id"] == f"legacy-{run}"
    assert len(rows) == len({r["message_id"] for r in rows}) == 5


def test_rudderstack_v3(site, live_server, project, conn):
    run, rows, _ = _deliver(
        site, live_server, project, conn, "rudderstack", ["page", "identify", "track", "group", "alias"]
    )
    _anonymous, identify = _visit_then_login(rows, run, site, "rudderstack")
    assert identify["payload"]["context"]["traits"]["email"] == f"ada-{run}@example.com"
    track = _one(rows, "track", event="Order Completed", user_id=f"user-{run}")
    assert track["payload"]["properties"] == {"revenue": 42.5, "currency": "EUR"}
    assert "RudderLabs" in track["payload"]["context"]["library"]["name"]
    assert _one(rows, "group")["payload"]["groupId"] == f"acme-{run}"
    assert _one(rows, "alias")["previous_id"] == f"legacy-{run}"
    assert len(rows) == len({r["message_id"] for r in rows}) == 5


def test_jitsu(site, live_server, project, conn):
    run, rows, _ = _deliver(site, live_server, project, conn, "jitsu", ["page", "identify", "track", "group"])
    anonymous, identify = _visit_then_login(rows, run, site, "jitsu")
    assert identify["payload"]["traits"]["email"] == f"ada-{run}@example.com"
    track = _one(rows, "track", event="Order Completed", user_id=f"user-{run}", anonymous_id=anonymous)
    assert track["payload"]["properties"]["revenue"] == 42.5
    assert "writeKey" not in track["payload"]  # the masked key Jitsu puts in the body is never stored
    assert _one(rows, "group")["payload"]["groupId"] == f"acme-{run}"
    assert len(rows) == len({r["message_id"] for r in rows}) == 4


def test_posthog_js(site, live_server, project, conn):
    run, rows, log = _deliver(
        site, live_server, project, conn, "posthog", ["page", "identify", "track", "group", "alias"]
    )
    anonymous, identify = _visit_then_login(rows, run, site, "posthog")
    traits = identify["payload"]["traits"]  # $set_once, then $set (posthog-js adds $initial_* and $current_url)
    assert {k: traits[k] for k in ("email", "plan", "first_plan")} == {
        "email": f"ada-{run}@example.com",
        "plan": "pro",
        "first_plan": "free",
    }
    track = _one(rows, "track", event="Order Completed", user_id=f"user-{run}", anonymous_id=anonymous)
    assert track["payload"]["properties"]["revenue"] == 42.5
    assert track["payload"]["context"]["library"]["name"] == "web"
    group = _one(rows, "group")
    assert group["payload"]["groupId"] == f"acme-{run}" and group["payload"]["traits"] == {"name": "ACME"}
    alias = _one(rows, "alias")
    assert alias["previous_id"] == f"legacy-{run}" and alias["user_id"] == f"user-{run}"
    assert len(rows) == len({r["message_id"] for r in rows})
    assert "/flags/" not in log or " 200" in log  # touchline answers what it fetches
