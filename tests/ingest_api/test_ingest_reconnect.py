"""After a database restart the API reconnects at once: the first request after it is answered 200."""

from __future__ import annotations

import asyncio
import time
import uuid

import psycopg
from fastapi.testclient import TestClient
from ingest_helpers import basic

from ingest_api import database
from ingest_api.app import create_app
from ingest_api.auth import KeyStore
from ingest_api.database import Database


def track():
    return {"type": "track", "event": "Clicked", "anonymousId": "a", "messageId": str(uuid.uuid4())}


def _ingest_backends(conn):
    return [
        r[0]
        for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'touchline-ingest'"
            " AND datname = current_database()"
        )
    ]


def test_connections_cut_by_a_restart_are_replaced_without_a_503(client, project, conn):
    project_id, key = project
    first = track()
    assert client.post("/v1/track", json=first, headers=basic(key)).status_code == 200
    before = _ingest_backends(conn)
    assert len(before) >= 2  # the reader (key lookup) and the writer
    # what a restart does to the API's connections: the server ends them
    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(%s)", (before,))
    deadline = time.monotonic() + 5
    while set(before) & set(_ingest_backends(conn)) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.6)  # past the key cache (0.5 s in these tests): the next request reads the key again
    answers = [client.post("/v1/track", json=m, headers=basic(key)) for m in (track(), track())]
    assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
    assert conn.execute("SELECT count(*) FROM raw.events WHERE project_id = %s", (project_id,)).fetchone()[0] == 3


def test_a_lock_held_on_raw_events_gives_503s_not_a_stuck_api(settings, project, conn, database_url, monkeypatch):
    """A session that keeps raw.events locked (a DBA's open transaction, a stuck migration) costs the API
    503s for as long as it lasts, never a writer or a shutdown that waits forever; once it is gone, events
    are stored again."""
    monkeypatch.setattr(database, "LOCK_TIMEOUT", "1s")
    project_id, key = project
    with psycopg.connect(database_url) as locker:
        with TestClient(create_app(settings)) as client:
            locker.execute("LOCK TABLE raw.events IN ACCESS EXCLUSIVE MODE")
            held = client.post("/v1/track", json=track(), headers=basic(key))
            assert held.status_code == 503, held.text
            # the writer gave the group up at the lock timeout: the next group waits for the lock afresh
            time.sleep(1.2)
            assert client.post("/v1/track", json=track(), headers=basic(key)).status_code == 503
            started = time.monotonic()
        assert time.monotonic() - started < 5  # the shutdown did not wait for the lock
        locker.rollback()
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/track", json=track(), headers=basic(key)).status_code == 200
    assert conn.execute("SELECT count(*) FROM raw.events WHERE project_id = %s", (project_id,)).fetchone()[0] == 1


def test_the_key_flusher_stops_at_once_while_it_writes(database_url, project, conn):
    """The flusher of last_used_at is stopped by an event, whatever it is doing. It was cancelled before, and
    on Python 3.11 a cancel that meets a database call finishing at that moment is lost (asyncio.wait_for
    loses most of them then): the app's shutdown waited for good (the CI run of stop 17)."""
    project_id, _ = project
    key_id = conn.execute("SELECT key_id FROM ops.api_keys WHERE project_id = %s", (project_id,)).fetchone()[0]

    async def scenario() -> list[float]:
        db = Database(database_url, timeout=5.0)
        keys = KeyStore(db, ttl=1.0)
        waits = []
        for attempt in range(100):
            stopping = asyncio.Event()
            keys.mark_used(key_id)  # a key used since the last flush: every round trip writes
            flusher = asyncio.create_task(keys.flush_forever(0.001, stopping))
            for _ in range(attempt % 50):
                keys.mark_used(key_id)
                await asyncio.sleep(0)
            # stop it at a different point of its database call each time (cancelling it this way, 22 of
            # 100 shutdowns of the old flusher did not end)
            await asyncio.sleep((attempt % 30) * 0.0001)
            started = time.monotonic()
            stopping.set()
            await asyncio.wait_for(asyncio.shield(flusher), 5)
            waits.append(time.monotonic() - started)
        await db.close()
        return waits

    waits = asyncio.run(scenario())
    assert max(waits) < 2, waits
    used = conn.execute("SELECT last_used_at FROM ops.api_keys WHERE key_id = %s", (key_id,)).fetchone()[0]
    assert used is not None  # it did write while it ran
