"""Projects and write keys (`ops.projects`, `ops.api_keys`).

A key looks like `sk_live_<32 chars>` or `sk_test_<32 chars>` (base62, 190 bits). Only its SHA-256
hash is stored, with a display prefix (`sk_live_` + 4 chars) to find it again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass

import psycopg

_ALPHABET = string.ascii_letters + string.digits
KEY_RE = re.compile(r"^sk_(live|test)_[A-Za-z0-9]{32}$")
PREFIX_LEN = len("sk_live_") + 4


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(env: str) -> str:
    if env not in ("live", "test"):
        raise ValueError("env must be 'live' or 'test'")
    return f"sk_{env}_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not s:
        raise ValueError(f"project name {name!r} has no letters or digits")
    return s[:63]


def ensure_project(conn: psycopg.Connection, name: str) -> str:
    project_id = slug(name)
    conn.execute(
        "INSERT INTO ops.projects (project_id, name) VALUES (%s, %s) ON CONFLICT (project_id) DO NOTHING",
        (project_id, name),
    )
    return project_id


def create_key(conn: psycopg.Connection, project: str, env: str = "live") -> tuple[str, str]:
    """Create the project if needed and a key for it; return (project_id, plaintext key)."""
    project_id = ensure_project(conn, project)
    key = new_key(env)
    conn.execute(
        "INSERT INTO ops.api_keys (project_id, env, key_prefix, key_hash) VALUES (%s, %s, %s, %s)",
        (project_id, env, key[:PREFIX_LEN], hash_key(key)),
    )
    return project_id, key


@dataclass(frozen=True)
class KeyRow:
    key_prefix: str
    project_id: str
    env: str
    created_at: object
    last_used_at: object
    revoked_at: object


def list_keys(conn: psycopg.Connection) -> list[KeyRow]:
    rows = conn.execute(
        "SELECT key_prefix, project_id, env, created_at, last_used_at, revoked_at"
        " FROM ops.api_keys ORDER BY project_id, created_at"
    ).fetchall()
    return [KeyRow(*r) for r in rows]


def revoke_key(conn: psycopg.Connection, prefix: str) -> int:
    """Revoke every active key whose display prefix starts with `prefix`; return how many."""
    if len(prefix) < PREFIX_LEN:
        raise ValueError(f"give at least the {PREFIX_LEN}-character display prefix, as `touchline keys list` shows it")
    cur = conn.execute(
        "UPDATE ops.api_keys SET revoked_at = now() WHERE key_prefix = %s AND revoked_at IS NULL",
        (prefix[:PREFIX_LEN],),
    )
    return cur.rowcount
