"""Ingest through a database restart (issue 12 figures). Run: `.venv/bin/python bench/faults.py`
(options: `--rate 5000 --duration 30 --restart-at 10 --batch 50 --concurrency 16`).

It starts the API (`ingest_api.server.serve` in a subprocess) against the embedded PostgreSQL, database
`touchline_bench_ingest` of bench/ingest.py, in a fresh project deleted at the end (or DATABASE_URL:
then restart that server yourself, see --no-restart), and
offers `--rate` events/s in batches from keep-alive clients that behave like SDKs: a batch that is not
answered 2xx (503, or a broken connection) is sent again, same messageIds, until it is. At `--restart-at`
seconds the embedded server is restarted (`pg_ctl restart -m fast`: every session is cut). Printed:

- acknowledged events and the rate achieved; 503 answers and broken connections seen by the clients;
- lost (acknowledged but not in raw.events, must be 0) and duplicated (stored more than once, must be 0);
- seconds to recover: from the moment the database answers again to the first 2xx of a request sent
  after it, next to how long the database itself was down (the ratio of the two, same run).

The embedded server is shared with whatever else runs in this checkout: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson
import psycopg

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from ingest import Conn, bench_database, cleanup, event, free_port, start_server, zero_loss  # noqa: E402

from touchline import db, warehouse  # noqa: E402
from touchline.keys import create_key  # noqa: E402
from touchline.settings import get_settings  # noqa: E402


class Load:
    def __init__(self, port: int, key: str, rate: float, batch: int, concurrency: int) -> None:
        import base64

        self.port, self.rate, self.batch, self.concurrency = port, rate, batch, concurrency
        self.auth = b"Basic " + base64.b64encode(f"{key}:".encode())
        self.acked: list[str] = []
        self.answers: list[tuple[float, float, int]] = []  # (sent at, answered at, status; 0 = broken)
        self.counter = 0
        self.t0 = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self.t0

    async def client(self, index: int, seconds: float) -> None:
        interval = self.concurrency * self.batch / self.rate
        conn: Conn | None = None
        next_at = index * interval / self.concurrency
        while next_at < seconds:
            await asyncio.sleep(max(0.0, next_at - self.now()))
            next_at += interval
            ids = [f"f-{self.counter + i}" for i in range(self.batch)]
            body = orjson.dumps({"batch": [event(m, self.counter + i) for i, m in enumerate(ids)]})
            self.counter += self.batch
            while True:  # an SDK: retry the same batch until it is acknowledged
                sent = self.now()
                try:
                    conn = conn or await Conn(self.port, self.auth).open()
                    status, _ = await asyncio.wait_for(conn.post(b"/v1/batch", body), 10)
                except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError):
                    status = 0
                    if conn is not None:
                        conn.close()
                    conn = None
                self.answers.append((sent, self.now(), status))
                if 200 <= status < 300:
                    self.acked.extend(ids)
                    break
                await asyncio.sleep(0.05)
        if conn is not None:
            conn.close()

    async def run(self, seconds: float) -> None:
        await asyncio.gather(*(self.client(i, seconds) for i in range(self.concurrency)))


def restart_database(load: Load, at: float, marks: dict) -> None:
    """At `at` seconds: restart the embedded server; mark when it answers again."""
    time.sleep(max(0.0, at - load.now()))
    settings = get_settings()
    url = db.data_url(settings)
    marks["restart"] = load.now()
    db._pg_ctl(settings, "restart")
    while True:
        try:
            with psycopg.connect(url, connect_timeout=1):
                break
        except psycopg.OperationalError:
            time.sleep(0.005)
    marks["up"] = load.now()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=5000.0, help="events offered per second")
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--restart-at", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--no-restart", action="store_true", help="do not restart the server (DATABASE_URL runs)")
    args = ap.parse_args()
    os.environ.setdefault("DO_NOT_TRACK", "1")

    url = bench_database(os.environ.get("DATABASE_URL"))
    with psycopg.connect(url, autocommit=True) as conn:
        warehouse.migrate(conn)
        project_id, key = create_key(conn, f"bench faults {os.getpid()}")
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"touchline-bench-faults-{port}.log"
    server = start_server(url, port, 1, log_path)
    print(
        f"server 127.0.0.1:{port}, database {db.url_parts(url).database}, project {project_id}; log {log_path}",
        flush=True,
    )
    load = Load(port, key, args.rate, args.batch, args.concurrency)
    marks: dict[str, float] = {}
    restarter = None
    if not args.no_restart and not get_settings().database_url:
        restarter = threading.Thread(target=restart_database, args=(load, args.restart_at, marks), daemon=True)
        restarter.start()
    try:
        asyncio.run(load.run(args.duration))
        if restarter is not None:
            restarter.join(60)
        finished = load.now()
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(30)
        except Exception:  # noqa: BLE001
            os.killpg(server.pid, signal.SIGKILL)
    missing, doubled, rows = zero_loss(url, project_id, load.acked)
    unavailable = sum(1 for _, _, s in load.answers if s == 503)
    broken = sum(1 for _, _, s in load.answers if s == 0)
    other = sum(1 for _, _, s in load.answers if s not in (0, 503) and not 200 <= s < 300)
    with psycopg.connect(url) as conn:
        stored_twice = conn.execute(
            "SELECT count(*) - count(DISTINCT message_id) FROM raw.events WHERE project_id = %s", (project_id,)
        ).fetchone()[0]
    print(
        f"offered {args.rate:,.0f} events/s for {args.duration:.0f} s in batches of {args.batch} from "
        f"{args.concurrency} clients: acknowledged {len(load.acked):,} events "
        f"({len(load.acked) / finished:,.0f} events/s over {finished:.1f} s)"
    )
    print(f"503 answers: {unavailable:,}   broken connections: {broken:,}   other errors: {other:,}")
    print(f"lost: {missing:,}   duplicated: {max(doubled, stored_twice):,}   (raw.events rows: {rows:,})")
    if "up" in marks:
        down = marks["up"] - marks["restart"]
        first_ok = min((done for sent, done, s in load.answers if 200 <= s < 300 and sent >= marks["up"]), default=None)
        failures = [done for _, done, s in load.answers if not 200 <= s < 300]
        outage = (max(failures) - min(failures)) if failures else 0.0
        recover = (first_ok - marks["up"]) if first_ok is not None else float("nan")
        print(f"database restart at {marks['restart']:.1f} s: the database was down {down:.2f} s")
        print(
            f"seconds to recover: {recover:.3f} s from the database answering to the API's next 2xx "
            f"(ratio to the database's downtime: {recover / down:.3f}); clients saw errors for {outage:.2f} s"
        )
    cleanup(url, project_id)


if __name__ == "__main__":
    main()
