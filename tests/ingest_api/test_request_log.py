"""The request log (TOUCHLINE_REQUEST_LOG): one line per request with method, path, status, ms and the
key's display prefix, never a key, a query string or a body; an SDK's 401 or 404 shows in it."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from ingest_helpers import serving
from sdk_harness import need_node, run_node

from ingest_api.config import IngestSettings
from ingest_api.request_log import log as request_log

LINE = re.compile(r"^(GET|POST|OPTIONS) (\S+) (\d{3}) \d+\.\dms key=(\S+)$")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def logged(database_url):
    handler = _Lines()
    request_log.addHandler(handler)
    try:
        with serving(IngestSettings(DATABASE_URL=database_url, request_log=True, commit_timeout_s=10.0)) as url:
            yield url, handler.lines
    finally:
        request_log.removeHandler(handler)


def test_request_log_lines(logged, project):
    url, lines = logged
    _, key = project
    unknown = "sk_live_" + "Q" * 32
    assert httpx.post(f"{url}/v1/t", content=f'{{"anonymousId":"a","event":"E","writeKey":"{key}"}}').status_code == 200
    assert httpx.get(f"{url}/v1/projects/{unknown}/settings").status_code == 401
    assert httpx.post(f"{url}/beacon/v1/batch?writeKey={key}", content=b'{"batch":[]}').status_code == 200
    assert httpx.post(f"{url}/v2/nowhere", content=b"{}").status_code == 404
    parsed = [LINE.match(line).groups() for line in lines]
    assert parsed == [
        ("POST", "/v1/t", "200", key[:12]),
        ("GET", f"/v1/projects/{unknown[:12]}…/settings", "401", unknown[:12]),
        ("POST", "/beacon/v1/batch", "200", key[:12]),
        ("POST", "/v2/nowhere", "404", "-"),
    ]
    assert not any(key in line or unknown in line or "writeKey" in line for line in lines)


def test_an_sdk_refused_shows_in_the_log(logged):
    need_node()
    url, lines = logged
    with pytest.raises(AssertionError, match="401"):  # the SDK reports the failure, nothing stored
        run_node("node_sdks.mjs", "segment", url, "sk_live_" + "R" * 32, "refused")
    assert any(re.match(r"POST /v1/batch 401 \S+ key=sk_live_RRRR$", line) for line in lines), lines
