"""touchline.js in real headless Chromium (tests/sdk_clients/tracker.mjs drives pages/touchline.html, served
from another origin than the API): consent withheld then given, load, scroll, a tel: click, a form submit, odd
input from the page, SPA navigation, offline then online, leaving the page. Checked against what the browser
did: the raw events that landed, then, after a real core build and a real `dbt build`, marts.page_views and
marts.sessions."""

from __future__ import annotations

import json
import subprocess
import uuid
from urllib.parse import urlencode

import psycopg
import pytest
from ingest_helpers import serving
from sdk_harness import SDK_DIR, need_browser, raw_rows, static_site, wait_for

from ingest_api.config import IngestSettings
from orchestration.marts.assets import BUILD_ARGS
from tests.dbt_project.conftest import run_dbt
from tests.orchestration.pipeline_helpers import reset, run_core
from touchline.keys import create_key


@pytest.fixture
def tracker_db(database_url):
    """A database of its own: the core build and dbt read all of raw and core."""
    from tests.db_helpers import migrated_database
    from touchline import db

    with migrated_database(database_url, f"{db.url_parts(database_url).database}_tracker") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            reset(conn)
            conn.execute("SELECT raw.ensure_event_partitions(date_trunc('month', now())::date, 2)")
        yield url


def _visit(site: str, api: str, key: str) -> dict:
    url = f"{site}/pages/touchline.html?" + urlencode({"api": api, "yek": key[::-1]})
    done = subprocess.run(["node", "tracker.mjs", url], cwd=SDK_DIR, capture_output=True, timeout=180)
    out = done.stdout.decode(errors="replace").strip().splitlines()
    did = json.loads(out[-1]) if out else {}
    assert done.returncode == 0 and not did["log"]["errors"], f"{out}\n{done.stderr.decode(errors='replace')}"
    return did


def _props(rows: list[dict], event: str) -> list[dict]:
    return [r["payload"].get("properties") or {} for r in rows if r["type"] == "track" and r["event"] == event]


def test_touchline_js_visit_lands_and_page_views_mart_says_what_the_browser_did(tracker_db, tmp_path):
    need_browser()
    url = tracker_db
    with (
        psycopg.connect(url, autocommit=True) as conn,
        static_site() as site,
        serving(IngestSettings(DATABASE_URL=url, commit_timeout_s=10.0)) as api,
    ):
        project_id, key = create_key(conn, f"tracker {uuid.uuid4().hex[:8]}", "live")
        did = _visit(site, api, key)

        # consent withheld: nothing sent, no id stored; given: the held events go out
        assert did["before_consent"] == {"cookie": "", "storage": [], "requests": 0}
        assert "tl_aid=" in did["cookie"] and {"tl_aid", "tl_consent"} <= set(did["storage"])
        assert did["odd_input_threw"] is False
        # offline: nothing left the page, the events waited in the queue; online: the queue drained
        assert did["offline_requests"] == 0 and did["offline_queue"] >= 2

        def ended_twice() -> bool:
            return len(_props(raw_rows(conn, project_id), "Page Ended")) >= 2

        assert wait_for(ended_twice, 30), [(r["type"], r["event"]) for r in raw_rows(conn, project_id)]
        rows = raw_rows(conn, project_id)

    # what landed: every event once, one anonymous id (the in-memory one kept at consent), the wire format
    assert len(rows) == len({r["message_id"] for r in rows})
    assert {r["anonymous_id"] for r in rows} == {did["cookie"].split("tl_aid=")[1].split(";")[0]}
    assert {r["payload"]["context"]["library"]["name"] for r in rows} == {"touchline.js"}
    assert not any("secret-value" in json.dumps(r["payload"]) for r in rows)  # form fields never
    assert not any(key in json.dumps(r["payload"]) for r in rows)
    pages = [r for r in rows if r["type"] == "page"]
    assert len(pages) == 2
    first, second = sorted(pages, key=lambda r: r["payload"]["timestamp"])
    assert first["payload"]["properties"]["url"].startswith(f"{site}/pages/touchline.html?")
    assert second["payload"]["properties"]["url"] == f"{site}/pages/pricing?plan=pro"
    assert second["payload"]["properties"]["referrer"] == first["payload"]["properties"]["url"]
    view1, view2 = first["message_id"], second["message_id"]
    assert [p["kind"] for p in _props(rows, "Contact Link Clicked")] == ["tel"]
    forms = _props(rows, "Form Submitted")
    assert [(f["form_id"], f["form_name"], f["page_view_id"]) for f in forms] == [("signup", "signup", view1)]
    assert len(_props(rows, "Stub Called")) == 1 and len(_props(rows, "Offline Event")) == 1
    odd = _props(rows, "Odd Input")[0]
    assert odd["n"] == "10" and len(odd["big"]) == 1000  # trimmed to the API's limits, not rejected
    assert sorted(p["depth"] for p in _props(rows, "Page Scrolled")) == [25, 50]
    ended = {p["page_view_id"]: p for p in _props(rows, "Page Ended")}
    assert set(ended) == {view1, view2}
    pings = _props(rows, "Page Ping")
    assert {p["page_view_id"] for p in pings} == {view1, view2}
    engaged = {
        v: max([p["engaged_seconds"] for p in pings if p["page_view_id"] == v] + [ended[v]["engaged_seconds"]])
        for v in (view1, view2)
    }
    # engaged time never exceeds the time on the page (page clock, ms; a second of rounding)
    marks = did["marks"]
    assert 3 <= engaged[view1] <= (marks["navigated"] - marks["loaded"]) / 1000 + 1
    assert 2 <= engaged[view2] <= (marks["left"] - marks["navigated"]) / 1000 + 1

    # the pipeline: a real core build, then dbt
    with psycopg.connect(url, autocommit=True) as conn:
        run_core(conn)
        run_dbt(url, *BUILD_ARGS, "--full-refresh", target_path=tmp_path)
        views = conn.execute(
            "SELECT page_view_id, url, path, referrer, page_view_index, is_exit, seconds_to_next_view,"
            " engaged_seconds, max_scroll_depth, heartbeats, has_page_end, session_id, blended_user_id"
            " FROM marts.page_views WHERE project_id = %s ORDER BY viewed_at",
            (project_id,),
        ).fetchall()
        event_at = dict(
            conn.execute(
                "SELECT message_id, event_at FROM core.events WHERE message_id = ANY(%s)", ([view1, view2],)
            ).fetchall()
        )
        session = conn.execute(
            "SELECT session_id, page_views, events, engaged_seconds, duration_seconds"
            " FROM marts.sessions WHERE project_id = %s",
            (project_id,),
        ).fetchall()

    assert [v[0] for v in views] == [view1, view2]
    assert views[0][1:6] == (
        first["payload"]["properties"]["url"],
        "/pages/touchline.html",
        None,
        1,
        False,
    )  # direct: no referrer
    assert views[1][1:6] == (f"{site}/pages/pricing?plan=pro", "/pages/pricing", views[0][1], 2, True)
    assert views[0][6] == pytest.approx((event_at[view2] - event_at[view1]).total_seconds(), abs=0.01)
    assert views[1][6] is None
    assert (views[0][7], views[1][7]) == (engaged[view1], engaged[view2])
    assert (views[0][8], views[1][8]) == (50, 0)
    assert (views[0][9], views[1][9]) == tuple(sum(p["page_view_id"] == v for p in pings) for v in (view1, view2))
    assert views[0][10] is True and views[1][10] is True
    # one visit, one session: heartbeats and the rest count as events, never as page views
    assert len(session) == 1 and views[0][11] == views[1][11] == session[0][0]
    assert session[0][1:4] == (2, len(rows), engaged[view1] + engaged[view2])
    assert session[0][4] >= (event_at[view2] - event_at[view1]).total_seconds() + engaged[view2] - 1


def test_demo_page_of_touchline_dev_shows_the_tracker_at_work(database_url, conn):
    """/demo (on when `touchline dev` runs the API): a pasted key, consent, a click: the events land and the
    page's panel shows the batch and the API's 200."""
    need_browser()
    project_id, key = create_key(conn, f"demo {uuid.uuid4().hex[:8]}", "live")
    with serving(IngestSettings(DATABASE_URL=database_url, commit_timeout_s=10.0, demo_page=True)) as api:
        done = subprocess.run(["node", "demo.mjs", api, key], cwd=SDK_DIR, capture_output=True, timeout=120)
        out = done.stdout.decode(errors="replace").strip().splitlines()
        did = json.loads(out[-1]) if out else {}
        assert done.returncode == 0 and not did["log"]["errors"], f"{out}\n{done.stderr.decode(errors='replace')}"
        assert wait_for(lambda: {"page", "track"} <= {r["type"] for r in raw_rows(conn, project_id)}, 20)
    rows = raw_rows(conn, project_id)
    assert "POST /v1/batch -> 200" in did["panel"] and "Demo Button Clicked" in did["panel"]
    assert key[:12] in did["state"]
    page = next(r for r in rows if r["type"] == "page")
    assert page["payload"]["context"]["page"]["url"] == f"{api}/demo"  # the key is never in the URL
    assert page["payload"]["context"]["library"]["name"] == "touchline.js"
    assert [r["event"] for r in rows if r["type"] == "track"].count("Demo Button Clicked") == 1
    assert not any(key in json.dumps(r["payload"]) for r in rows)
