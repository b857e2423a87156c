"""The warehouse contract: schema names, who writes them, and the migration runner.

Schemas (docs/architecture.md §2):
- raw      written only by ingest_api (migrations in `ingest_api/migrations`)
- ops      projects, API keys, watermarks (migrations in `ingest_api/migrations`)
- core     written only by orchestration's Python assets (migrations in `orchestration/migrations`)
- staging, intermediate, marts   written only by dbt
Migrations are plain `.sql` files applied once each, in order of (component, file name), recorded
in `ops.schema_migrations`, under an advisory lock so concurrent starts are safe.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import psycopg

RAW, CORE, OPS = "raw", "core", "ops"
DBT_SCHEMAS = ("staging", "intermediate", "marts")
BI_ROLE = "touchline_bi"
# The columns of raw.events that ingest writes: ingest_api/rows.py (RawEvent).

# Order matters: ops and raw first, then core.
MIGRATION_PACKAGES = ("ingest_api", "orchestration")
_LOCK_ID = 7_411_202_611


def migration_files() -> list[tuple[str, Path]]:
    files: list[tuple[str, Path]] = []
    for package in MIGRATION_PACKAGES:
        folder = Path(str(resources.files(package) / "migrations"))
        for path in sorted(folder.glob("*.sql")):
            files.append((f"{package}/{path.name}", path))
    return files


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply pending migrations; return the ones applied. Idempotent and safe to run concurrently."""
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute("CREATE SCHEMA IF NOT EXISTS ops")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS ops.schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM ops.schema_migrations")}
        for version, path in migration_files():
            if version in done:
                continue
            conn.execute(path.read_text())
            conn.execute("INSERT INTO ops.schema_migrations (version) VALUES (%s)", (version,))
            applied_now.append(version)
    return applied_now
