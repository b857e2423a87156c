"""No write key, password or full DATABASE_URL in any log, quarantine row, answer body, Dagster run
config or metadata: a whole pipeline run with a password in DATABASE_URL, hostile bodies carrying the
key, then a grep over every output, the Dagster storage, the quarantine and the files written."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import orjson
import psycopg
from fastapi.testclient import TestClient

from ingest_api.app import create_app
from ingest_api.config import IngestSettings
from touchline import db
from touchline.keys import create_key
from touchline.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
PASSWORD = "Pw-" + uuid.uuid4().hex  # trust over the socket ignores it: only a leak could show it


def _files_containing(folder: Path, needles: list[str]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            text = path.read_bytes().decode("utf-8", "replace")
            found += [f"{path}: {n[:12]}" for n in needles if n in text]
    return found


def test_no_secret_in_logs_answers_quarantine_or_dagster_storage(database_url, conn, tmp_path, caplog):
    url = db.url_parts(database_url).set(password=PASSWORD).render_as_string(hide_password=False)
    project_id, key = create_key(conn, f"secrets {uuid.uuid4().hex[:8]}")
    needles = [PASSWORD, key, key[8:]]
    dbt_log = PROJECT_ROOT / "dbt_project" / "logs" / "dbt.log"
    dbt_log_start = dbt_log.stat().st_size if dbt_log.exists() else 0

    # the API: bodies that carry the key, a database that is down
    answers = []
    with caplog.at_level(logging.DEBUG):
        with TestClient(create_app(IngestSettings(DATABASE_URL=url))) as c:
            headers = {"X-Write-Key": key, "content-type": "application/json"}
            for body in (
                b'{"writeKey": "' + key.encode() + b'", "batch": [oops',
                orjson.dumps(
                    {
                        "writeKey": key,
                        "batch": [{"type": "track", "anonymousId": "a", "event": "E", "properties": {"k": key}}],
                    }
                ),
                orjson.dumps({"writeKey": key, "batch": [{"type": "nope", "writeKey": key}]}),
                orjson.dumps({"batch": [0, 1, {"api_key": key}]}),
            ):
                answers.append(c.post("/v1/batch", content=body, headers=headers))
        dead = "postgresql://postgres:" + PASSWORD + "@127.0.0.1:1/nothing"
        with TestClient(create_app(IngestSettings(DATABASE_URL=dead))) as c:
            answers.append(c.post("/v1/track", json={"type": "track"}, headers={"X-Write-Key": key}))
    assert [a.status_code for a in answers] == [400, 200, 200, 200, 503]

    # the pipeline and the database commands, with the password in DATABASE_URL
    env = {**os.environ, "DATABASE_URL": url, "TOUCHLINE_HOME": str(tmp_path)}
    outputs = [
        subprocess.run([str(BIN / "touchline"), *args], env=env, capture_output=True, text=True, timeout=900)
        for args in (["materialize"], ["db", "start"], ["db", "status"], ["migrate"])
    ]
    assert outputs[0].returncode == 0, outputs[0].stdout[-3000:] + outputs[0].stderr[-3000:]

    leaks = []
    texts = {"answers": "\n".join(a.text for a in answers), "api log": caplog.text}
    texts.update({f"touchline {o.args[1:]}": o.stdout + o.stderr for o in outputs})
    for name, text in texts.items():
        leaks += [f"{name}: {n[:12]}" for n in needles if n in text]
    with psycopg.connect(database_url) as c:
        quarantine = "\n".join(
            r[0] for r in c.execute("SELECT payload FROM raw.rejected_events WHERE project_id = %s", (project_id,))
        )
        assert quarantine.count("[redacted]") >= 2
        leaks += [f"quarantine: {n[:12]}" for n in needles if n in quarantine]
    dagster_db = db.libpq_url(db.with_database(database_url, db.url_parts(database_url).database + "_dagster"))
    with psycopg.connect(dagster_db) as c:
        tables = [r[0] for r in c.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        assert "runs" in tables and "event_logs" in tables
        for table in tables:
            dump = "\n".join(r[0] for r in c.execute(f'SELECT t::text FROM "{table}" t'))
            leaks += [f"dagster {table}: {n[:12]}" for n in needles if n in dump]
    leaks += _files_containing(tmp_path, needles)
    if dbt_log.exists():
        with dbt_log.open("rb") as f:
            f.seek(dbt_log_start)
            text = f.read().decode("utf-8", "replace")
        leaks += [f"dbt.log: {n[:12]}" for n in needles if n in text]
    assert leaks == []
