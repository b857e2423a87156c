"""Project settings (`ops.projects`): one registry, read by `touchline projects` and documented in the README.

Each setting is a column of `ops.projects` (declared by a migration of the component that owns it) and one
entry in `SETTINGS` below: its column type, how a command-line value is parsed, and what it means. Code that
needs a setting reads the column (SQL joins `ops.projects`); nobody edits projects with hand-written SQL.

To add a setting: a migration adding the column with its default, then a `Setting` entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from touchline import keys


def _int_positive(value: str) -> int:
    n = int(value)
    if n <= 0:
        raise ValueError("must be a positive integer")
    return n


def _text_list(value: str) -> list[str]:
    """A comma-separated list; an empty string is the empty list."""
    return [v.strip() for v in value.split(",") if v.strip()]


def _identifier_list(value: str) -> list[str]:
    """Blocked identifier values are compared trimmed and lower-cased: stored that way."""
    return [v.lower() for v in _text_list(value)]


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "yes", "on", "1"):
        return True
    if v in ("false", "no", "off", "0"):
        return False
    raise ValueError("must be true or false")


def _tracker_path(value: str) -> str | None:
    """A path of the form /some/name.js, outside the API's own prefixes; an empty string removes it."""
    if not value:
        return None
    if not re.fullmatch(r"/[A-Za-z0-9._/-]{1,120}\.js", value) or re.match(r"/(v1|api|beacon|e|batch)/", value):
        raise ValueError("must look like /js/app.js (letters, digits, . _ - /; not under /v1/ or /api/)")
    return value


def _currency_code(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError("must be a three-letter ISO 4217 code such as USD or EUR")
    return code


@dataclass(frozen=True)
class Setting:
    name: str  # the column of ops.projects and the name `touchline projects set` takes
    parse: Callable[[str], Any]
    doc: str
    list_valued: bool = False  # `set NAME a,b` replaces; `--add` / `--remove` edit one value


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting(
            "session_timeout_minutes",
            _int_positive,
            "minutes of inactivity that end a session (default 30; stored sessions follow after a full refresh)",
        ),
        Setting(
            "blocked_identifiers",
            _identifier_list,
            "identifier values treated as absent (trimmed, case-insensitive; empty values and values made only "
            "of zeros and dashes always are); the default lists undefined, null, 0, anonymous, ...",
            list_valued=True,
        ),
        Setting(
            "max_event_age_days",
            _int_positive,
            "an event time more than this many days before receipt takes the receipt time (default 3650)",
        ),
        Setting(
            "traits_from_context",
            _bool,
            "whether context.traits of events other than identify change profiles (default false)",
        ),
        Setting(
            "allowed_origins",
            _text_list,
            "browser origins allowed to send with this project's keys (`*` = any; the default)",
            list_valued=True,
        ),
        Setting(
            "tracker_path",
            _tracker_path,
            "a second path serving touchline.js besides /t.js, e.g. /js/app.js (ad blockers drop t.js)",
        ),
        Setting(
            "reporting_currency",
            _currency_code,
            "ISO 4217 currency the marts report revenue in (default USD; rates: dbt_project/seeds/currency_rates.csv;"
            " stored marts follow after a full refresh)",
        ),
    ]
}


class ProjectError(ValueError):
    """A project or setting the user named does not exist, or a value does not parse."""


def setting(name: str) -> Setting:
    try:
        return SETTINGS[name]
    except KeyError:
        raise ProjectError(f"unknown setting {name!r}; known: {', '.join(sorted(SETTINGS))}") from None


def create(conn: psycopg.Connection, name: str) -> str:
    return keys.ensure_project(conn, name)


def list_projects(conn: psycopg.Connection) -> list[tuple[str, str, Any, int]]:
    """(project_id, name, created_at, active keys) for every project."""
    return conn.execute(
        "SELECT p.project_id, p.name, p.created_at,"
        " (SELECT count(*) FROM ops.api_keys k WHERE k.project_id = p.project_id AND k.revoked_at IS NULL)"
        " FROM ops.projects p ORDER BY p.project_id"
    ).fetchall()


def show(conn: psycopg.Connection, project: str) -> dict[str, Any]:
    cols = ", ".join(SETTINGS)
    row = conn.execute(
        f"SELECT project_id, name, {cols} FROM ops.projects WHERE project_id = %s OR name = %s", (project, project)
    ).fetchone()
    if row is None:
        raise ProjectError(f"no project {project!r} (see `touchline projects list`)")
    return dict(zip(["project_id", "name", *SETTINGS], row))


def set_value(conn: psycopg.Connection, project: str, name: str, value: str, op: str = "set") -> Any:
    """Set (or, for list settings, `add`/`remove` one value to) a setting; return the new value."""
    s = setting(name)
    project_id = show(conn, project)["project_id"]
    try:
        parsed = s.parse(value)
    except ValueError as exc:
        raise ProjectError(f"{name}: {exc}") from None
    if op != "set":
        if not s.list_valued:
            raise ProjectError(f"{name} is not a list: use `set` without --add/--remove")
        # add: drop the value first so it is never listed twice
        expr = f"array_append(array_remove({name}, %(v)s), %(v)s)" if op == "add" else f"array_remove({name}, %(v)s)"
        for v in parsed:
            conn.execute(f"UPDATE ops.projects SET {name} = {expr} WHERE project_id = %(p)s", {"v": v, "p": project_id})
    else:
        try:
            conn.execute(f"UPDATE ops.projects SET {name} = %s WHERE project_id = %s", (parsed, project_id))
        except psycopg.errors.UniqueViolation:
            raise ProjectError(f"{name}: {value!r} is taken by another project") from None
        except psycopg.errors.CheckViolation as exc:
            raise ProjectError(f"{name}: {exc.diag.message_primary}") from None
    return show(conn, project_id)[name]
