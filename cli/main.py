"""`touchline`: one command line for the database, keys, the ingest API, data generation, the
pipeline and the demo. Errors are one line on stderr and a non-zero exit, not a traceback."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from touchline import db
from touchline.ports import port_free
from touchline.settings import get_settings


class CliError(Exception):
    """An error the user can act on; printed as one line."""


# --------------------------------------------------------------------------- db
def cmd_db(args) -> int:
    settings = get_settings()
    if args.action == "url":
        print(db.data_url())
    elif args.action == "start":
        if settings.database_url:
            print(f"DATABASE_URL is set; using {db.safe_url(settings.database_url)}")
        print("database ready:", db.safe_url(db.data_url()), "(`touchline db url` prints the full URL)")
    elif args.action == "stop":
        if settings.database_url:
            raise CliError("DATABASE_URL is set: touchline does not stop an external server")
        print("stopped embedded PostgreSQL" if db.stop_embedded() else "embedded PostgreSQL was not running")
    elif args.action == "status":
        if settings.database_url:
            with db.connect() as conn:
                version = conn.execute("SHOW server_version").fetchone()[0]
            print(f"external PostgreSQL {version} is up ({db.safe_url(settings.database_url)})")
        else:
            running = db.embedded_running()
            print(f"embedded PostgreSQL {'running' if running else 'stopped'} (data in {settings.pgdata})")
            return 0 if running else 3
    elif args.action == "psql":
        url = db.data_url()
        psql = shutil.which("psql") or str(db.pg_bin("psql"))
        os.execv(psql, [psql, url, *args.psql_args])
    return 0


def cmd_migrate(args) -> int:
    from touchline import warehouse

    with db.connect() as conn:
        applied = warehouse.migrate(conn)
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


# --------------------------------------------------------------------------- keys
def cmd_keys(args) -> int:
    from touchline import keys, warehouse

    with db.connect() as conn:
        warehouse.migrate(conn)
        with conn.transaction():
            if args.action == "create":
                project_id, key = keys.create_key(conn, args.project, args.env)
                print(f"project {project_id}: new {args.env} key (shown once, store it now)")
                print(key)
            elif args.action == "list":
                rows = keys.list_keys(conn)
                if not rows:
                    print("no keys yet: touchline keys create --project NAME")
                for r in rows:
                    state = f"revoked {r.revoked_at:%Y-%m-%d}" if r.revoked_at else "active"
                    used = f"{r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else "never"
                    print(f"{r.key_prefix}…  {r.project_id:<20} {r.env:<4}  {state:<18} last used {used}")
            elif args.action == "revoke":
                try:
                    n = keys.revoke_key(conn, args.prefix)
                except ValueError as exc:
                    raise CliError(str(exc)) from None
                if n == 0:
                    raise CliError(f"no active key with prefix {args.prefix!r}")
                print(f"revoked {n} key(s)")
    return 0


# --------------------------------------------------------------------------- projects
def _render(value) -> str:
    if isinstance(value, list):
        return ",".join(value) if value else "(none)"
    if value is None:
        return "(none)"
    return str(value)


def cmd_projects(args) -> int:
    from touchline import projects, warehouse

    with db.connect() as conn:
        warehouse.migrate(conn)
        with conn.transaction():
            try:
                if args.action == "create":
                    print(f"project {projects.create(conn, args.name)}")
                elif args.action == "list":
                    rows = projects.list_projects(conn)
                    if not rows:
                        print("no projects yet: touchline projects create NAME")
                    for project_id, name, created_at, n_keys in rows:
                        print(f"{project_id:<24} {name:<24} created {created_at:%Y-%m-%d}  {n_keys} active key(s)")
                elif args.action == "show":
                    for k, v in projects.show(conn, args.name).items():
                        print(f"{k:<26} {_render(v)}")
                elif args.action == "set":
                    op = "add" if args.add else "remove" if args.remove else "set"
                    new = projects.set_value(conn, args.name, args.setting, args.value, op)
                    print(f"{args.setting} = {_render(new)}")
            except projects.ProjectError as exc:
                raise CliError(str(exc)) from None
    return 0


# --------------------------------------------------------------------------- bi
def cmd_bi(args) -> int:
    """A login for a BI tool in the read-only role touchline_bi, and what its connection form asks."""
    import re
    import secrets

    from psycopg import sql

    from touchline import warehouse

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.name):
        raise CliError("a login name is lower-case letters, digits and _ (starting with a letter or _)")
    settings = get_settings()
    url = db.data_url()
    password = secrets.token_urlsafe(24)
    with db.connect(url, autocommit=True) as conn:
        warehouse.migrate(conn)
        exists = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (args.name,)).fetchone()
        if exists and exists[0]:
            raise CliError(f"{args.name} is a superuser: choose another name")
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                sql.SQL(verb), sql.Identifier(args.name), sql.Literal(password)
            )
        )
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(warehouse.BI_ROLE), sql.Identifier(args.name)))
    u = db.url_parts(url)
    if settings.database_url:
        host, port = u.host or "localhost", u.port or 5432
    elif settings.db_tcp_port:
        host = settings.db_tcp_host if settings.db_tcp_host not in ("*", "0.0.0.0", "::") else socket.getfqdn()
        port = settings.db_tcp_port
    else:
        host, port = None, None
    print(
        f"login {args.name} {'password reset' if exists else 'created'} in role {warehouse.BI_ROLE}"
        " (SELECT on schema marts only); the password is shown once"
    )
    if host is None:
        print(
            "the embedded database does not listen on TCP yet: set TOUCHLINE_DB_TCP_PORT (e.g. 5433) and run"
            " `touchline db stop && touchline db start`"
        )
    print(f"host      {host or '(TCP off)'}")
    print(f"port      {port or '(TCP off)'}")
    print(f"database  {u.database}")
    print(f"user      {args.name}")
    print(f"password  {password}")
    print("ssl       off (embedded server); TLS belongs to a proxy or an external PostgreSQL")
    return 0


# --------------------------------------------------------------------------- api
def cmd_api(args) -> int:
    if not port_free(args.host, args.port):
        raise CliError(f"port {args.port} on {args.host} is in use (choose another with --port)")
    from ingest_api.server import serve

    serve(args.host, args.port, args.workers)
    return 0


# --------------------------------------------------------------------------- pipeline
def cmd_materialize(args) -> int:
    from touchline import runtime

    runtime.prepare()
    import warnings

    from dagster import BetaWarning

    from orchestration.run import materialize_all
    from orchestration.runs.lock import RunLockBusy

    warnings.filterwarnings("ignore", category=BetaWarning)  # group: selections use a beta parameter

    try:
        ok = materialize_all(select=args.select, full_refresh=args.full_refresh)
    except RunLockBusy as exc:
        raise CliError(str(exc)) from None
    return 0 if ok else 1


def cmd_dagster(args) -> int:
    """Run the dagster CLI in touchline's environment (storage, database, telemetry off)."""
    from touchline import runtime

    runtime.prepare()
    exe = str(Path(sys.executable).with_name("dagster"))
    os.execv(exe, [exe, *args.dagster_args])


def cmd_dev(args) -> int:
    from touchline import runtime

    settings = get_settings()
    for port in (args.api_port, args.ui_port):
        if not port_free("127.0.0.1", port):
            raise CliError(f"port {port} on 127.0.0.1 is in use (stop what holds it, or `make stop`)")
    env = {**os.environ, **runtime.prepare(), "TOUCHLINE_DEMO_PAGE": "1"}  # /demo: touchline.js at work
    bindir = Path(sys.executable).parent
    # Each child in a session of its own: the terminal's Ctrl-C reaches only us, and we stop each child
    # with its whole process group (dagster dev's webserver, daemon and code server included).
    procs = [
        subprocess.Popen(
            [str(bindir / "touchline"), "api", "--port", str(args.api_port)], env=env, start_new_session=True
        ),
        subprocess.Popen(
            [str(bindir / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(args.ui_port)],
            env=env,
            cwd=str(Path(__file__).resolve().parent.parent),
            start_new_session=True,
        ),
    ]
    pidfile = settings.home / "dev.pids"
    pidfile.write_text("\n".join(str(p.pid) for p in procs))
    print(
        f"ingest API  http://127.0.0.1:{args.api_port}   Dagster UI  http://127.0.0.1:{args.ui_port}   (Ctrl-C stops both)\n"
        f"touchline.js demo  http://127.0.0.1:{args.api_port}/demo",
        flush=True,
    )
    stop = []
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: stop.append(signum))
    try:
        while not stop and all(p.poll() is None for p in procs):
            time.sleep(0.2)
    finally:
        stop_groups(procs)
        pidfile.unlink(missing_ok=True)
    return 0


def stop_groups(procs: list[subprocess.Popen], timeout: float = 20.0) -> None:
    """SIGTERM each child's process group, then SIGKILL what is left after `timeout` seconds."""
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):  # stragglers of the group, and the child if still up
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def cmd_stop(args) -> int:
    """Stop what `touchline dev` left running, then the embedded PostgreSQL."""
    settings = get_settings()
    pidfile = settings.home / "dev.pids"
    if pidfile.exists():
        for pid in pidfile.read_text().split():
            with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
                os.killpg(int(pid), signal.SIGTERM)  # each child leads a process group of its own
        pidfile.unlink(missing_ok=True)
    if not settings.database_url:
        print("stopped embedded PostgreSQL" if db.stop_embedded() else "embedded PostgreSQL was not running")
    return 0


def cmd_generate(args) -> int:
    from generator import command

    return command.run(args)


def cmd_demo(args) -> int:
    from cli.demo import run_demo

    return run_demo(events=args.events, seed=args.seed)


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="touchline", description=__doc__.splitlines()[0].strip("`: "))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser(
        "db",
        help="the database: start|stop|status|url|psql",
        description="Manage the database. Without DATABASE_URL this is the embedded PostgreSQL "
        "(pgserver) whose data lives in .touchline/pgdata.",
    )
    d.add_argument(
        "action",
        choices=["start", "stop", "status", "url", "psql"],
        help="start/stop the embedded server, show status, print a URL psql accepts, or open psql",
    )
    d.add_argument("psql_args", nargs=argparse.REMAINDER, help="extra arguments for psql")
    d.set_defaults(func=cmd_db)

    m = sub.add_parser("migrate", help="apply pending migrations of raw, ops and core")
    m.set_defaults(func=cmd_migrate)

    k = sub.add_parser("keys", help="write keys: create|list|revoke")
    ksub = k.add_subparsers(dest="action", required=True)
    kc = ksub.add_parser("create", help="create a write key (and the project); prints the key once, on the last line")
    kc.add_argument("--project", required=True, help="project name (created when new)")
    kc.add_argument("--env", choices=["live", "test"], default="live")
    ksub.add_parser("list", help="list keys by display prefix, project, state and last use")
    kr = ksub.add_parser("revoke", help="revoke the key(s) with this display prefix")
    kr.add_argument("prefix", help="the display prefix shown by `keys list`, e.g. sk_live_AbCd")
    k.set_defaults(func=cmd_keys)

    from touchline.projects import SETTINGS

    pr = sub.add_parser(
        "projects",
        help="projects and their settings: create|list|show|set",
        description="Manage projects and their settings (never by SQL). Settings:\n"
        + "\n".join(f"  {s.name}: {s.doc}" for s in SETTINGS.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    psub = pr.add_subparsers(dest="action", required=True)
    psub.add_parser("create", help="create a project (idempotent)").add_argument("name")
    psub.add_parser("list", help="every project with its number of active keys")
    psub.add_parser("show", help="a project's settings").add_argument("name")
    ps = psub.add_parser(
        "set",
        help="set one setting: touchline projects set NAME SETTING VALUE",
        description="Settings:\n" + "\n".join(f"  {s.name}: {s.doc}" for s in SETTINGS.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ps.add_argument("name", help="project id or name")
    ps.add_argument("setting", choices=sorted(SETTINGS), metavar="SETTING")
    ps.add_argument("value", help="the new value; lists are comma-separated (an empty string empties them)")
    grp = ps.add_mutually_exclusive_group()
    grp.add_argument("--add", action="store_true", help="list settings: add these values instead of replacing")
    grp.add_argument("--remove", action="store_true", help="list settings: remove these values")
    pr.set_defaults(func=cmd_projects)

    bi = sub.add_parser(
        "bi",
        help="BI tool logins: create-login NAME",
        description="Logins for BI tools (Metabase, Superset, Tableau) in the read-only role "
        "touchline_bi: SELECT on schema marts only, password authentication.",
    )
    bisub = bi.add_subparsers(dest="action", required=True)
    bc = bisub.add_parser(
        "create-login",
        help="create (or reset the password of) a login; prints host, port, database, user and the password, once",
    )
    bc.add_argument("name", help="login name, e.g. metabase")
    bi.set_defaults(func=cmd_bi)

    settings = get_settings()
    a = sub.add_parser("api", help="run the ingest API")
    a.add_argument("--host", default=settings.api_host)
    a.add_argument("--port", type=int, default=settings.api_port)
    a.add_argument("--workers", type=int, default=1)
    a.set_defaults(func=cmd_api)

    g = sub.add_parser("generate", help="synthetic traffic with ground truth (HTTP, JSON lines or bulk load)")
    from generator import command

    command.add_arguments(g)
    g.set_defaults(func=cmd_generate)

    mt = sub.add_parser(
        "materialize",
        help="bring every asset up to date with everything in raw",
        description="Materialise Dagster assets in-process with touchline's Dagster instance. "
        "With no option: every asset, processing all new raw events.",
    )
    mt.add_argument(
        "--select",
        default=None,
        help="Dagster asset selection, e.g. 'key:core/events+' or 'group:marts' (default: all)",
    )
    mt.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild core from raw and dbt models from scratch (same result as incremental runs)",
    )
    mt.set_defaults(func=cmd_materialize)

    dg = sub.add_parser(
        "dagster",
        help="run the dagster CLI in touchline's environment",
        description="e.g. `touchline dagster asset list -m orchestration.definitions`",
    )
    dg.add_argument("dagster_args", nargs=argparse.REMAINDER)
    dg.set_defaults(func=cmd_dagster)

    dv = sub.add_parser("dev", help="the ingest API and the Dagster UI on localhost (Ctrl-C stops both)")
    dv.add_argument("--api-port", type=int, default=settings.api_port)
    dv.add_argument("--ui-port", type=int, default=3000)
    dv.set_defaults(func=cmd_dev)

    st = sub.add_parser("stop", help="stop what `dev` left running and the embedded PostgreSQL")
    st.set_defaults(func=cmd_stop)

    dm = sub.add_parser("demo", help="the whole platform end to end on demo data")
    dm.add_argument("--events", type=int, default=int(os.environ.get("EVENTS", "50000")))
    dm.add_argument("--seed", type=int, default=42)
    dm.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    from touchline import runtime

    runtime.quiet_env()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except CliError as exc:
        print(f"touchline: {exc}", file=sys.stderr)
        return 2
    except db.DatabaseUnavailable as exc:
        print(f"touchline: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
