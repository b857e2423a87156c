"""`touchline demo` / `make demo`: the whole platform end to end on synthetic traffic.

Embedded PostgreSQL (or DATABASE_URL), migrations, a demo project and write key, the ingest API on
127.0.0.1, synthetic traffic over HTTP, every Dagster asset, a summary. Rerunning it sends the same
messageIds (same seed, same day), which the API stores once, so nothing is duplicated.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from touchline import db, keys, runtime, warehouse
from touchline.ports import free_port
from touchline.settings import get_settings

SUMMARY_TABLES = (
    "raw.events",
    "raw.rejected_events",
    "core.events",
    "core.sessions",
    "core.identity_edges",
    "core.user_aliases",
    "core.identity_map",
    "core.identity_merge_log",
    "core.user_profiles",
)


def demo_key(conn) -> str:
    """The demo project's write key, kept in .touchline/demo_key (created once, reused while valid)."""
    path = get_settings().home / "demo_key"
    if path.exists():
        key = path.read_text().strip()
        row = conn.execute(
            "SELECT 1 FROM ops.api_keys WHERE key_hash = %s AND revoked_at IS NULL", (keys.hash_key(key),)
        ).fetchone()
        if row:
            return key
    with conn.transaction():
        _, key = keys.create_key(conn, "demo", "test")
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def start_api(port: int, env: dict) -> subprocess.Popen:
    exe = str(Path(sys.executable).with_name("touchline"))
    proc = subprocess.Popen(
        [exe, "api", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("ingest API exited: " + (proc.stderr.read().decode()[-500:] if proc.stderr else ""))
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("ingest API did not become healthy within 60 s")


def run_demo(events: int = 50_000, seed: int = 42) -> int:
    import generator

    t0 = time.monotonic()
    env = {**os.environ, **runtime.prepare()}
    print(f"database: {db.url_parts(env['DATABASE_URL']).render_as_string()}")
    with db.connect() as conn:
        warehouse.migrate(conn)
        conn.commit()
        key = demo_key(conn)
    port = free_port(get_settings().api_port)
    api = start_api(port, env)
    try:
        print(f"ingest API on http://127.0.0.1:{port}; generating {events:,} events (seed {seed})")
        dataset = generator.generate(events=events, seed=seed)
        stats = generator.post_http(dataset, f"http://127.0.0.1:{port}", key, progress=True)
        print(f"sent: {stats}")
    finally:
        api.terminate()
        try:
            api.wait(20)
        except subprocess.TimeoutExpired:
            api.kill()
    from orchestration.run import materialize_all

    print("materializing every asset …")
    ok = materialize_all()
    print_summary()
    print(f"\ndone in {time.monotonic() - t0:.0f} s.  Open the Dagster UI: `make dev`, then http://127.0.0.1:3000")
    print("Query the marts: `.venv/bin/touchline db psql` (schemas raw, core, marts)")
    return 0 if ok else 1


def print_summary(rows_per_mart: int = 3) -> None:
    with db.connect() as conn:
        print("\nrows per table")
        marts = [
            r[0]
            for r in conn.execute(
                "SELECT 'marts.' || table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
            )
        ]
        for table in (*SUMMARY_TABLES, *marts):
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
                continue
            n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            print(f"  {table:<32} {n:>10,}")
        for table in marts:
            cur = conn.execute(f"SELECT * FROM {table} LIMIT {rows_per_mart}")
            cols = [d.name for d in cur.description][:8]
            print(f"\n{table} (first {rows_per_mart} rows, first {len(cols)} columns)")
            print("  " + " | ".join(cols))
            for row in cur.fetchall():
                print("  " + " | ".join(_short(v) for v in row[:8]))


def _short(v) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= 24 else s[:21] + "…"
