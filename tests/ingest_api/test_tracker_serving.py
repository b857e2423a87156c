"""`GET /t.js`: touchline.js served small, cached, gzip, and under a project's own path."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ingest_api.app import create_app
from touchline import projects


def test_tracker_is_served_gzip_small_and_cacheable(client):
    r = client.get("/t.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert r.headers["content-encoding"] == "gzip"
    assert "max-age=3600" in r.headers["cache-control"]
    wire = int(r.headers["content-length"])
    assert wire <= 5 * 1024, f"touchline.js is {wire} bytes gzipped; the budget is 5 KB"
    assert b'library: { name: "touchline.js"' in r.content  # the decoded tracker itself
    again = client.get("/t.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    plain = client.get("/t.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == r.content


def test_project_tracker_path_serves_it_and_others_stay_404(client, conn, project):
    project_id, _ = project
    assert projects.set_value(conn, project_id, "tracker_path", "/assets/site-9f3.js") == "/assets/site-9f3.js"
    client.app.state.runtime.tracker_paths.expire()  # drop the few seconds of cache
    r = client.get("/assets/site-9f3.js")
    assert r.status_code == 200 and r.content == client.get("/t.js").content
    assert client.get("/assets/other.js").status_code == 404
    assert client.post("/assets/site-9f3.js").status_code in (404, 405)


def test_tracker_path_refuses_api_prefixes_and_bad_shapes(conn, project):
    project_id, _ = project
    for bad in ("/v1/t.js", "/api/x.js", "js/app.js", "/app.php", "/a b.js"):
        with pytest.raises(projects.ProjectError, match="tracker_path"):
            projects.set_value(conn, project_id, "tracker_path", bad)


def test_demo_page_only_when_the_setting_is_on(client, settings):
    assert client.get("/demo").status_code == 404  # off by default: a production API has no demo page
    with TestClient(create_app(settings.model_copy(update={"demo_page": True}))) as demo:
        r = demo.get("/demo")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert 's.src = "/t.js"' in r.text and 'setAttribute("data-consent", "required")' in r.text
        assert demo.get("/t.js").status_code == 200
