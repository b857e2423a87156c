"""Where the database is: the embedded PostgreSQL (pgserver) or the server named by DATABASE_URL.

The embedded server keeps its data under `.touchline/pgdata` of the checkout and listens on a Unix
socket in that folder, and on TCP when `TOUCHLINE_DB_TCP_PORT` is set (for BI tools). Only the
superuser over that socket is trusted; every other login authenticates with a password
(scram-sha-256). It is started on first use and left running (`touchline db stop` stops it).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import warnings
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from touchline.settings import Settings, get_settings

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
logging.getLogger("pgserver").setLevel(logging.WARNING)


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached; the message is one line a user can act on."""


# Settings the embedded server starts with: sized for a 2-core, 24 GiB machine, durability kept
# (fsync and synchronous_commit stay on: a 2xx from the API means committed).
EMBEDDED_CONF = {
    "shared_buffers": "1GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "max_connections": "200",
    "wal_compression": "on",
    "jit": "off",
    "random_page_cost": "1.1",
}


def _pg_bin(name: str) -> str:
    import pgserver._commands as cmds

    return str(cmds.POSTGRES_BIN_PATH / name)


def embedded_running(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    pid_file = settings.pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
        return True
    except (ValueError, ProcessLookupError, IndexError):
        return False
    except PermissionError:
        return True


def start_embedded(settings: Settings | None = None) -> str:
    """Start (or reuse) the embedded server; return its server URL (database `postgres`)."""
    settings = settings or get_settings()
    import pgserver

    settings.pgdata.parent.mkdir(parents=True, exist_ok=True)
    # Two first starts at once (the API and a materialize, two test sessions) take turns: one creates
    # and configures the server, the other then finds it running.
    with open(settings.pgdata.parent / "pgserver.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            fresh = not (settings.pgdata / "PG_VERSION").exists()
            server = pgserver.get_server(settings.pgdata, cleanup_mode=None)
            info = server.get_postmaster_info()
            socket_dir, port = info.socket_dir, info.port or 5432
            url = _socket_url(socket_dir, port)
            if fresh:
                with psycopg.connect(url, autocommit=True) as conn:
                    for key, value in EMBEDDED_CONF.items():
                        conn.execute(f"ALTER SYSTEM SET {key} = '{value}'")
                _pg_ctl(settings, "restart")  # reuses postmaster.opts: same socket, new settings
            _password_logins(settings, url)
            with psycopg.connect(url, autocommit=True) as conn:
                listening = conn.execute("SHOW listen_addresses").fetchone()[0]
            want = (settings.db_tcp_host, settings.db_tcp_port) if settings.db_tcp_port else ("", 5432)
            if (listening, port) != want:  # TCP switched on, off, or moved: restart with the new options
                _pg_ctl(settings, "restart", f'-h "{want[0]}" -p {want[1]} -k "{socket_dir}"')
                url = _socket_url(socket_dir, want[1])
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    return url


def _socket_url(socket_dir, port: int) -> str:
    return f"postgresql://postgres:@/postgres?host={socket_dir}&port={port}"


# Authentication of the embedded server: the superuser over the Unix socket of the data folder only;
# every other login, and anything over TCP, with a password (scram-sha-256). `trust` never over TCP.
PG_HBA = """\
# Written by touchline (touchline/db.py); rewritten at each start.
local   all   postgres                   trust
local   all   all                        scram-sha-256
host    all   all        0.0.0.0/0       scram-sha-256
host    all   all        ::/0            scram-sha-256
"""


def _password_logins(settings: Settings, url: str) -> None:
    hba = settings.pgdata / "pg_hba.conf"
    if hba.read_text() != PG_HBA:
        hba.write_text(PG_HBA)  # same file, same owner
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            conn.execute("ALTER SYSTEM SET password_encryption = 'scram-sha-256'")
            conn.execute("SELECT pg_reload_conf()")


def stop_embedded(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    if not embedded_running(settings):
        return False
    _pg_ctl(settings, "stop")
    return True


def _pg_ctl(settings: Settings, action: str, options: str | None = None) -> None:
    """pg_ctl ACTION; `options` replace the server's command-line options (else it reuses them)."""
    user = "pgserver" if os.geteuid() == 0 else None  # pgserver runs postgres as its own user under root
    extra = ["-o", options] if options is not None else []
    subprocess.run(
        [
            _pg_bin("pg_ctl"),
            "-D",
            str(settings.pgdata),
            "-w",
            "-m",
            "fast",
            "-l",
            str(settings.pgdata / "log"),
            *extra,
            action,
        ],
        check=True,
        capture_output=True,
        user=user,
        timeout=60,
    )


def server_url(settings: Settings | None = None) -> str:
    """The URL of the server's maintenance database (`postgres`) or DATABASE_URL as given."""
    settings = settings or get_settings()
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings)


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """A URL that psql, psycopg and dbt accept (no SQLAlchemy driver suffix)."""
    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def data_url(settings: Settings | None = None) -> str:
    """URL of the database holding touchline's schemas (created when missing)."""
    settings = settings or get_settings()
    if settings.database_url:
        url = libpq_url(settings.database_url)
    else:
        url = with_database(start_embedded(settings), settings.database_name)
    ensure_database(url)
    return url


def dagster_url(settings: Settings | None = None) -> str:
    """URL for Dagster's own storage, kept apart from the data: database `<data db>_dagster`."""
    settings = settings or get_settings()
    data = make_url(data_url(settings))
    url = with_database(data.render_as_string(hide_password=False), f"{data.database}_dagster")
    ensure_database(url)
    return make_url(url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


_ENSURED: set[str] = set()


def ensure_database(url: str) -> None:
    """Create the database of `url` if it does not exist (needs CREATEDB on an external server).
    Checked once per process and URL."""
    if url in _ENSURED:
        return
    _ensure_database(url)
    _ENSURED.add(url)


def _ensure_database(url: str) -> None:
    target = make_url(url).database
    maintenance = libpq_url(with_database(url, "postgres"))
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=get_settings().connect_timeout_s):
            return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise DatabaseUnavailable(_one_line(url, exc)) from exc
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=get_settings().connect_timeout_s) as conn:
        # Two processes creating it at once: the loser gets DuplicateDatabase or, in the race inside
        # the catalog, a unique violation on pg_database's name index; either means it exists now.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            conn.execute(f'CREATE DATABASE "{target}"')


def drop_database(url: str) -> None:
    _ENSURED.discard(url)
    target = make_url(url).database
    with psycopg.connect(libpq_url(with_database(url, "postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def safe_url(url: str) -> str:
    """`url` with its password masked: what logs and messages may show."""
    return make_url(url).render_as_string(hide_password=True)


def _one_line(url: str, exc: Exception) -> str:
    safe = safe_url(url)
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"database not reachable at {safe}: {reason}"


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    """A psycopg 3 connection to the data database; DatabaseUnavailable within the connect timeout."""
    url = libpq_url(url or data_url())
    try:
        # A server check that the client is still there, so a killed run's query stops within seconds
        # instead of running on holding its locks (PostgreSQL 14+).
        kwargs.setdefault("options", "-c client_connection_check_interval=2000")
        return psycopg.connect(url, connect_timeout=get_settings().connect_timeout_s, **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(_one_line(url, exc)) from exc


def url_parts(url: str) -> URL:
    return make_url(url)


def pg_bin(name: str) -> Path:
    return Path(_pg_bin(name))


def dbt_env(url: str | None = None) -> dict[str, str]:
    """Environment variables that `dbt_project/profiles.yml` reads to reach the data database."""
    u = make_url(libpq_url(url or data_url()))
    host = u.query.get("host") or u.host or "localhost"
    return {
        "TOUCHLINE_PG_HOST": str(host),
        "TOUCHLINE_PG_PORT": str(u.port or 5432),
        "TOUCHLINE_PG_USER": u.username or "postgres",
        "TOUCHLINE_PG_PASSWORD": u.password or "",
        "TOUCHLINE_PG_DBNAME": u.database or "postgres",
    }
