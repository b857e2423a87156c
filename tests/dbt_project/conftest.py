"""Fixtures of the dbt tests: a database of their own (next to the session's test database), small
hand-made journeys written straight into core.*, and a way to run dbt against them.

Journeys (project `dbt_shop`; all times UTC). State A is the warehouse as of 2024-03-07 16:00; state B
is what core says after later events (new sessions, identity changes, a late event re-cutting a session):

  alice (u_alice), laptop a1 + phone a2
    s_a0  a1  2024-02-01 09:00  Email (newsletter / email)        2 pages, 60 s
    s_a1  a1  2024-02-27 09:00  Organic Search (google)            Signed Up at start (c_signup)
    s_a2  a2  2024-03-05 09:00  Paid Social (facebook / cpc)        1 page bounce  [A: anonymous a2]
    s_a3  a1  2024-03-12 09:00  Direct                              Order Completed at start, revenue 100 [B only]
  bob (u_bob), desktop b1; u_bob2 is aliased into u_bob in B
    s_f1  f1  2024-02-15 12:00  Organic Search (bing)               [A: u_bob2]
    s_b1  b1  2024-03-06 15:00  Direct                              1 page bounce
    s_b2  b1  2024-03-07 15:00  Direct                              Order Completed at +120 s, total "50.00"
    s_b3  b1  2024-03-11 12:00  Direct                              alias u_bob2 -> u_bob [B only]
    (none)    2024-03-08 10:00  a server-side Order Completed, revenue 30 USD, no session [B only]
  dave (u_dave), device a5 anonymous until B
    s_e1  a5  2024-02-12 10:00  Referral                            [A: anonymous a5]
    s_e2  a5  2024-03-11 10:00  Organic Social                      identify + Signed Up [B only]
  anonymous a4
    s_d1  a4  2024-03-06 10:00  Referral                            [A only: re-cut in B]
    s_d0  a4  2024-03-06 09:50  Referral                            [B only: a late event at 09:50]
  a bot with an Order Completed (no session) in both states.
Project `dbt_other`: one session with the same ids as alice's first one (projects never mix).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from orchestration.marts import DBT_PROJECT_DIR, dbt_env
from orchestration.marts.project import dbt_command

SHOP, OTHER = "dbt_shop", "dbt_other"
DBT = str(Path(sys.executable).with_name("dbt"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Ev:
    offset_s: int
    type: str  # page | track | identify | alias
    name: str | None = None
    properties: dict = field(default_factory=dict)
    path: str | None = None


@dataclass
class Sess:
    session_id: str
    device_id: str
    user_key: str | None
    start: str
    channel: str
    events: list[Ev]
    project_id: str = SHOP
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    referrer_host: str | None = None
    referrer_class: str = "direct"
    device_type: str = "desktop"
    country_code: str = "DE"
    country: str = "Germany"

    @property
    def blended(self) -> str:
        return self.user_key or self.device_id


def _pages(*offsets: int) -> list[Ev]:
    return [Ev(o, "page", None, {}, f"/p{i}") for i, o in enumerate(offsets)]


def journeys(state: str) -> list[Sess]:
    b = state == "B"
    alice, bob = "u_alice", "u_bob"
    sessions = [
        Sess(
            "s_a0",
            "a1",
            alice,
            "2024-02-01 09:00",
            "Email",
            _pages(0, 60),
            utm_source="newsletter",
            utm_medium="email",
            utm_campaign="feb",
        ),
        Sess(
            "s_a1",
            "a1",
            alice,
            "2024-02-27 09:00",
            "Organic Search",
            [Ev(0, "track", "Signed Up", {"plan": "free"}), *_pages(30, 200)],
            referrer_host="www.google.com",
            referrer_class="search",
        ),
        Sess(
            "s_a2",
            "a2",
            alice if b else None,
            "2024-03-05 09:00",
            "Paid Social",
            _pages(0),
            utm_source="facebook",
            utm_medium="cpc",
            utm_campaign="spring",
            device_type="mobile",
        ),
        Sess(
            "s_f1",
            "f1",
            bob if b else "u_bob2",
            "2024-02-15 12:00",
            "Organic Search",
            _pages(0, 20),
            referrer_host="www.bing.com",
            referrer_class="search",
        ),
        Sess("s_b1", "b1", bob, "2024-03-06 15:00", "Direct", _pages(0)),
        Sess(
            "s_b2",
            "b1",
            bob,
            "2024-03-07 15:00",
            "Direct",
            [*_pages(0), Ev(120, "track", "Order Completed", {"total": "50.00", "currency": "eur"})],
        ),
        Sess(
            "s_e1",
            "a5",
            "u_dave" if b else None,
            "2024-02-12 10:00",
            "Referral",
            _pages(0, 5),
            referrer_host="blog.example.org",
            referrer_class="referral",
            country_code="FR",
            country="France",
        ),
    ]
    if b:
        sessions += [
            Sess(
                "s_a3",
                "a1",
                alice,
                "2024-03-12 09:00",
                "Direct",
                [Ev(0, "track", "Order Completed", {"revenue": 100, "total": 120}), *_pages(60)],
            ),
            Sess("s_b3", "b1", bob, "2024-03-11 12:00", "Direct", [*_pages(0), Ev(10, "alias")]),
            Sess(
                "s_e2",
                "a5",
                "u_dave",
                "2024-03-11 10:00",
                "Organic Social",
                [*_pages(0), Ev(30, "identify"), Ev(40, "track", "Signed Up", {"value": "abc"})],
                referrer_host="t.co",
                referrer_class="social",
                country_code="FR",
                country="France",
            ),
            Sess(
                "s_d0",
                "a4",
                None,
                "2024-03-06 09:50",
                "Referral",
                _pages(0, 600, 630),
                referrer_host="blog.example.org",
                referrer_class="referral",
            ),
        ]
    else:
        sessions.append(
            Sess(
                "s_d1",
                "a4",
                None,
                "2024-03-06 10:00",
                "Referral",
                _pages(0, 30),
                referrer_host="blog.example.org",
                referrer_class="referral",
            )
        )
    sessions.append(Sess("s_a0", "a1", None, "2024-03-01 08:00", "Direct", _pages(0), project_id=OTHER))
    return sessions


_SESSION_ATTRIBUTES = (
    "referrer_host",
    "referrer_class",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device_type",
    "country_code",
    "country",
)


def _session_attributes(s: Sess) -> dict:
    """What a session's events and its core.sessions row share: traffic source, device and place."""
    return {name: getattr(s, name) for name in _SESSION_ATTRIBUTES}


def _event_rows(s: Sess):
    start = at(s.start)
    for seq, ev in enumerate(sorted(s.events, key=lambda e: e.offset_s), start=1):
        event_at = start + timedelta(seconds=ev.offset_s)
        name = ev.name or ev.type
        yield {
            "project_id": s.project_id,
            "message_id": f"{s.session_id}_{seq}",
            "event_type": ev.type,
            "event_name": name,
            "anonymous_id": s.device_id,
            "user_id": s.user_key,
            "device_id": s.device_id,
            "event_at": event_at,
            "event_date": event_at.date(),
            "received_at": event_at,
            "properties": json.dumps(ev.properties),
            "traits": json.dumps({}),
            "page_path": ev.path,
            "page_url": f"https://shop.example.com{ev.path}" if ev.path else None,
            **_session_attributes(s),
            "is_bot": False,
            "session_id": s.session_id,
            "session_event_sequence": seq,
            "user_key": s.user_key,
            "blended_user_id": s.blended,
        }


def _session_row(s: Sess):
    events = sorted(s.events, key=lambda e: e.offset_s)
    pages = [e for e in events if e.type == "page"]
    start = at(s.start)
    return {
        "project_id": s.project_id,
        "session_id": s.session_id,
        "device_id": s.device_id,
        "anonymous_id": s.device_id,
        "user_key": s.user_key,
        "blended_user_id": s.blended,
        "started_at": start + timedelta(seconds=events[0].offset_s),
        "ended_at": start + timedelta(seconds=events[-1].offset_s),
        "duration_seconds": float(events[-1].offset_s - events[0].offset_s),
        "event_count": len(events),
        "page_view_count": len(pages),
        "landing_page_path": pages[0].path if pages else None,
        "exit_page_path": pages[-1].path if pages else None,
        **_session_attributes(s),
    }


def _insert(conn, table: str, rows: list[dict]) -> None:
    for row in rows:
        cols = ", ".join(row)
        marks = ", ".join(f"%({c})s" for c in row)
        conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", row)


EVENT_STATE = "project_id, message_id, session_id, user_key, blended_user_id, event_at, is_bot, properties::text"
SESSION_STATE = "project_id, session_id, blended_user_id, user_key, started_at, ended_at, channel"


def load_core(url: str, state: str) -> None:
    """Replace core.* of the dbt test database with the journeys of `state` ("A" or "B"), and append to
    core.change_log what a core build would: the persons (before and after) of every event and session
    that differs, and the sessions that differ with their start days."""
    sessions = journeys(state)
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute(f"CREATE TEMP TABLE old_events ON COMMIT DROP AS SELECT {EVENT_STATE} FROM core.events")
        conn.execute(f"CREATE TEMP TABLE old_sessions ON COMMIT DROP AS SELECT {SESSION_STATE} FROM core.sessions")
        conn.execute("TRUNCATE core.events, core.sessions, core.user_profiles, core.identity_map, core.user_aliases")
        _insert(conn, "core.events", [r for s in sessions for r in _event_rows(s)])
        _insert(conn, "core.sessions", [_session_row(s) for s in sessions])
        bot_at = at("2024-03-06 12:00")
        _insert(
            conn,
            "core.events",
            [
                {
                    "project_id": SHOP,
                    "message_id": "bot_1",
                    "event_type": "track",
                    "event_name": "Order Completed",
                    "device_id": "bot",
                    "anonymous_id": "bot",
                    "event_at": bot_at,
                    "event_date": bot_at.date(),
                    "received_at": bot_at,
                    "properties": json.dumps({"revenue": 999}),
                    "is_bot": True,
                    "blended_user_id": "bot",
                    "channel": "Direct",
                    "referrer_class": "direct",
                }
            ],
        )
        if state == "B":  # a server-side order of bob with no session in progress: sessionless
            srv_at = at("2024-03-08 10:00")
            _insert(
                conn,
                "core.events",
                [
                    {
                        "project_id": SHOP,
                        "message_id": "srv_1",
                        "event_type": "track",
                        "event_name": "Order Completed",
                        "device_id": "u_bob",
                        "user_id": "u_bob",
                        "event_at": srv_at,
                        "event_date": srv_at.date(),
                        "received_at": srv_at,
                        "properties": json.dumps({"revenue": 30, "order_id": "B2", "currency": "USD"}),
                        "is_bot": False,
                        "user_key": "u_bob",
                        "blended_user_id": "u_bob",
                    }
                ],
            )
        people = {}
        for s in sessions:
            if s.user_key and s.project_id == SHOP:
                p = people.setdefault(s.user_key, {"first": at(s.start), "last": at(s.start), "devices": set()})
                p["first"], p["last"] = min(p["first"], at(s.start)), max(p["last"], at(s.start))
                p["devices"].add(s.device_id)
        traits = {
            "u_alice": {"email": "alice@example.com", "name": "Alice", "plan": "pro"},
            "u_bob": {"email": "bob@example.com", "name": "Bob"},
        }
        _insert(
            conn,
            "core.user_profiles",
            [
                {
                    "project_id": SHOP,
                    "user_key": k,
                    "first_seen_at": p["first"],
                    "last_seen_at": p["last"],
                    "traits": json.dumps(traits.get(k, {})),
                    "email": traits.get(k, {}).get("email"),
                    "name": traits.get(k, {}).get("name"),
                    "plan": traits.get(k, {}).get("plan"),
                    "devices": sorted(p["devices"]),
                    "session_count": 0,
                }
                for k, p in people.items()
            ],
        )
        if state == "B":
            _insert(
                conn, "core.user_aliases", [{"project_id": SHOP, "user_id": "u_bob2", "canonical_user_id": "u_bob"}]
            )
        conn.execute(f"""
            INSERT INTO core.change_log (project_id, kind, entity_id)
            SELECT DISTINCT project_id, 'person', blended_user_id FROM (
                (SELECT {EVENT_STATE} FROM old_events EXCEPT SELECT {EVENT_STATE} FROM core.events)
                UNION ALL
                (SELECT {EVENT_STATE} FROM core.events EXCEPT SELECT {EVENT_STATE} FROM old_events)
            ) e WHERE NOT is_bot
            UNION
            SELECT project_id, 'person', blended_user_id FROM (
                (SELECT {SESSION_STATE} FROM old_sessions EXCEPT SELECT {SESSION_STATE} FROM core.sessions)
                UNION ALL
                (SELECT {SESSION_STATE} FROM core.sessions EXCEPT SELECT {SESSION_STATE} FROM old_sessions)
            ) s""")
        conn.execute(f"""
            INSERT INTO core.change_log (project_id, kind, entity_id, day)
            SELECT DISTINCT project_id, 'session', session_id, (started_at AT TIME ZONE 'UTC')::date FROM (
                (SELECT {SESSION_STATE} FROM old_sessions EXCEPT SELECT {SESSION_STATE} FROM core.sessions)
                UNION ALL
                (SELECT {SESSION_STATE} FROM core.sessions EXCEPT SELECT {SESSION_STATE} FROM old_sessions)
            ) s""")
        conn.commit()


def run_dbt(
    url: str, *args: str, target_path: Path, check: bool = True, project_dir: Path = DBT_PROJECT_DIR
) -> subprocess.CompletedProcess:
    """Run the dbt CLI against `url` with its own target/log path (concurrent runs never clash), on the
    project in `project_dir` (default: the repository's; a test that edits the project runs a copy)."""
    env = {**os.environ, **dbt_env(url)}
    proc = subprocess.run(
        dbt_command(*args, target_path=target_path, log_path=target_path, project_dir=project_dir, executable=DBT),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(project_dir),
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc


@pytest.fixture(scope="session")
def marts_db_url(database_url):
    """A migrated database of the dbt tests' own on the test server: dbt builds every mart from all of
    core, so other tests' core rows must not be there."""
    from tests.db_helpers import migrated_database
    from touchline import db

    with migrated_database(database_url, f"{db.url_parts(database_url).database}_marts") as url:
        yield url


@pytest.fixture(scope="session")
def built_b(marts_db_url, tmp_path_factory):
    """State B loaded and `dbt build --full-refresh` run: the marts every value test reads."""
    load_core(marts_db_url, "B")
    target = tmp_path_factory.mktemp("dbt_target_b")
    proc = run_dbt(marts_db_url, "build", "--full-refresh", target_path=target)
    return marts_db_url, target, proc


@pytest.fixture
def mconn(built_b):
    with psycopg.connect(built_b[0], autocommit=True) as c:
        yield c
