"""The touchline command line: one-line errors, keys, db url, and DATABASE_URL steering everything."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from touchline import db

BIN = Path(sys.executable).parent


def touchline(*args, env=None, timeout=120):
    return subprocess.run(
        [str(BIN / "touchline"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_unreachable_database_fails_fast_with_one_line():
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = time.monotonic()
    r = touchline("migrate", env={"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/nowhere"})
    assert time.monotonic() - t < 10
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1 and "not reachable" in r.stderr
    assert "Traceback" not in r.stderr


def test_port_in_use_is_one_line(database_url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = touchline("api", "--port", str(s.getsockname()[1]))
    assert r.returncode != 0
    assert "in use" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_keys_create_list_revoke(database_url):
    r = touchline("keys", "create", "--project", "CLI Shop", "--env", "test")
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip().splitlines()[-1]
    assert key.startswith("sk_test_") and len(key) == len("sk_test_") + 32
    listed = touchline("keys", "list").stdout
    assert key[:12] in listed and key not in listed and "cli-shop" in listed
    assert touchline("keys", "revoke", key[:12]).returncode == 0
    again = touchline("keys", "revoke", key[:12])
    assert again.returncode != 0 and "no active key" in again.stderr


def test_db_url_is_accepted_by_psql(database_url):
    url = touchline("db", "url").stdout.strip()
    psql = db.pg_bin("psql")
    r = subprocess.run([str(psql), url, "-Atc", "select current_database()"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == db.url_parts(database_url).database


def test_help_for_every_command():
    for cmd in ("db", "migrate", "keys", "api", "generate", "materialize", "demo", "dev", "stop"):
        r = touchline(cmd, "--help")
        assert r.returncode == 0 and "usage" in r.stdout.lower(), cmd


def test_demo_with_database_url_uses_that_server_only(database_url, tmp_path):
    """DATABASE_URL steers data, dbt and Dagster storage; no embedded server is started under TOUCHLINE_HOME."""
    target = db.libpq_url(db.with_database(database_url, db.url_parts(database_url).database + "_demo"))
    db.drop_database(target)
    db.drop_database(db.with_database(target, db.url_parts(target).database + "_dagster"))
    try:
        r = touchline(
            "demo", "--events", "400", env={"DATABASE_URL": target, "TOUCHLINE_HOME": str(tmp_path)}, timeout=600
        )
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        assert not (tmp_path / "pgdata").exists()
        with psycopg.connect(target) as conn:
            assert conn.execute("SELECT count(*) FROM raw.events").fetchone()[0] > 300
            assert conn.execute("SELECT count(*) FROM core.sessions").fetchone()[0] > 0
        dagster_db = db.with_database(target, db.url_parts(target).database + "_dagster")
        with psycopg.connect(db.libpq_url(dagster_db)) as conn:
            assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] >= 1
    finally:
        db.drop_database(target)
        db.drop_database(db.with_database(target, db.url_parts(target).database + "_dagster"))


def test_projects_create_set_show(database_url, conn):
    assert touchline("projects", "create", "Cli Shop").returncode == 0
    shown = touchline("projects", "show", "cli-shop").stdout
    assert "allowed_origins            *" in shown  # any origin by default: a write key is public in a page
    r = touchline("projects", "set", "cli-shop", "allowed_origins", "https://a.example, https://b.example")
    assert r.returncode == 0 and r.stdout.strip() == "allowed_origins = https://a.example,https://b.example"
    assert touchline("projects", "set", "cli-shop", "allowed_origins", "https://a.example", "--remove").returncode == 0
    assert touchline("projects", "set", "cli-shop", "session_timeout_minutes", "45").returncode == 0
    row = conn.execute(
        "SELECT allowed_origins, session_timeout_minutes FROM ops.projects WHERE project_id = 'cli-shop'"
    ).fetchone()
    assert row == (["https://b.example"], 45)
    bad = touchline("projects", "set", "cli-shop", "session_timeout_minutes", "0")
    assert (
        bad.returncode == 2 and bad.stderr.strip() == "touchline: session_timeout_minutes: must be a positive integer"
    )
    missing = touchline("projects", "show", "no-such-project")
    assert missing.returncode == 2 and "no project 'no-such-project'" in missing.stderr
    assert "cli-shop" in touchline("projects", "list").stdout


def test_concurrent_first_starts_are_safe(tmp_path):
    """Three processes start a fresh embedded server, create its database and migrate it at once."""
    env = {**os.environ, "TOUCHLINE_HOME": str(tmp_path / "home")}
    env.pop("DATABASE_URL", None)
    procs = [
        subprocess.Popen(
            [str(BIN / "touchline"), "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    try:
        results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
        assert [r[2] for r in results] == [0, 0, 0], results
        assert sum("applied:" in r[0] for r in results) == 1  # one migrated, the others found it done
    finally:
        subprocess.run([str(BIN / "touchline"), "db", "stop"], env=env, capture_output=True, timeout=120)


def test_db_start_and_status_never_print_a_password(database_url):
    url = db.url_parts(db.libpq_url(database_url)).set(password="s3cret-pw").render_as_string(hide_password=False)
    for action in ("start", "status"):
        r = touchline("db", action, env={"DATABASE_URL": url})
        assert "s3cret-pw" not in r.stdout + r.stderr


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_dev_stops_its_children_on_sigterm(database_url, tmp_path):
    """`touchline dev` under a supervisor (SIGTERM, as systemd or docker stop send) leaves nothing running."""
    import signal

    from tests.ingest_api.ingest_helpers import free_port

    api_port, ui_port = free_port(), free_port()
    home = tmp_path / "home"
    home.mkdir()
    p = subprocess.Popen(
        [str(BIN / "touchline"), "dev", "--api-port", str(api_port), "--ui-port", str(ui_port)],
        env={**os.environ, "DATABASE_URL": database_url, "TOUCHLINE_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        pidfile = home / "dev.pids"
        deadline = time.monotonic() + 120
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        children = [int(x) for x in pidfile.read_text().split()]
        while time.monotonic() < deadline:  # the API answers
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", api_port)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the API did not start")
        assert all(_group_alive(c) for c in children)
        p.send_signal(signal.SIGTERM)
        assert p.wait(60) == 0
        deadline = time.monotonic() + 30
        while any(_group_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_group_alive(c) for c in children)
        assert not pidfile.exists()
    finally:
        if p.poll() is None:
            p.kill()


def test_the_nightly_schedule_is_on_by_default_and_a_setting_turns_it_off():
    code = (
        "from orchestration.definitions import defs; print(defs.resolve_schedule_def('nightly').default_status.value)"
    )
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    off = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TOUCHLINE_SCHEDULE_ENABLED": "false"},
    )
    assert on.stdout.split()[-1] == "RUNNING" and off.stdout.split()[-1] == "STOPPED", (on.stderr, off.stderr)


def test_bi_login_connects_over_tcp_with_a_password_and_reads_marts_only(tmp_path):
    """An embedded server of its own with TCP on: the BI login works over TCP with its password only."""
    from tests.ingest_api.ingest_helpers import free_port

    port = free_port()
    env = {**os.environ, "TOUCHLINE_HOME": str(tmp_path / "home"), "TOUCHLINE_DB_TCP_PORT": str(port)}
    env.pop("DATABASE_URL", None)
    try:
        r = subprocess.run(
            [str(BIN / "touchline"), "bi", "create-login", "metabase"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr
        form = dict(line.split(None, 1) for line in r.stdout.splitlines()[1:] if len(line.split(None, 1)) == 2)
        assert form["host"] == "127.0.0.1" and form["port"] == str(port) and form["user"] == "metabase"
        password, database = form["password"], form["database"]
        su = subprocess.run(
            [str(BIN / "touchline"), "db", "url"], env=env, capture_output=True, text=True
        ).stdout.strip()
        with psycopg.connect(su, autocommit=True) as admin:
            admin.execute("CREATE TABLE IF NOT EXISTS marts.bi_probe AS SELECT 42 AS answer")
        tcp = {"host": "127.0.0.1", "port": port, "dbname": database, "connect_timeout": 5}
        with psycopg.connect(**tcp, user="metabase", password=password) as bi:
            assert bi.execute("SELECT answer FROM marts.bi_probe").fetchone() == (42,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bi.execute("SELECT count(*) FROM raw.events")
        for user, pw in (("metabase", "wrong"), ("metabase", None), ("postgres", None), ("postgres", "x")):
            with pytest.raises(psycopg.OperationalError) as exc:
                psycopg.connect(**tcp, user=user, **({"password": pw} if pw is not None else {}))
            assert "password" in str(exc.value)
        with psycopg.connect(su, autocommit=True) as admin:  # the stored password is a SCRAM verifier
            assert admin.execute(
                "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'metabase'"
            ).fetchone()[0]
    finally:
        subprocess.run([str(BIN / "touchline"), "db", "stop"], env=env, capture_output=True, timeout=120)


def test_projects_set_the_rules_for_real_traffic(database_url, conn):
    assert touchline("projects", "create", "Junk Shop").returncode == 0
    default = conn.execute(
        "SELECT blocked_identifiers, max_event_age_days, traits_from_context FROM ops.projects"
        " WHERE project_id = 'junk-shop'"
    ).fetchone()
    assert {"undefined", "null", "0", "anonymous", "[object object]", "distinct_id"} <= set(default[0])
    assert default[1:] == (3650, False)
    assert touchline("projects", "set", "junk-shop", "blocked_identifiers", " Visitor ", "--add").returncode == 0
    assert touchline("projects", "set", "junk-shop", "blocked_identifiers", "guest", "--remove").returncode == 0
    assert touchline("projects", "set", "junk-shop", "max_event_age_days", "30").returncode == 0
    assert touchline("projects", "set", "junk-shop", "traits_from_context", "yes").returncode == 0
    blocked, age, from_context = conn.execute(
        "SELECT blocked_identifiers, max_event_age_days, traits_from_context FROM ops.projects"
        " WHERE project_id = 'junk-shop'"
    ).fetchone()
    assert "visitor" in blocked and "guest" not in blocked and (age, from_context) == (30, True)
    bad = touchline("projects", "set", "junk-shop", "traits_from_context", "maybe")
    assert bad.returncode == 2 and bad.stderr.strip() == "touchline: traits_from_context: must be true or false"
