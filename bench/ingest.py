"""Benchmark of the ingest API (issue 3 figures). Run: `.venv/bin/python bench/ingest.py [--duration 60]`.

It starts the API itself (`ingest_api.server.serve` in a subprocess, on 127.0.0.1) against the
embedded PostgreSQL (database `touchline_bench_ingest`, so no other data is touched) or `DATABASE_URL`,
in a fresh project, and drives it from this process with a small keep-alive HTTP/1.1 client on
asyncio (pure Python; httpx costs more CPU than the server on a 2-core box). Phases:

1. single-event requests at a fixed `--rate` (open loop: latency counted from the scheduled
   send time, so a stall is not hidden) -> p50 / p99 / max;
2. single-event requests as fast as `--single-concurrency` clients go -> requests/s;
3. batches of 100 events from `--concurrency` clients for `--duration` seconds -> events/s;
4. zero loss: every messageId answered 2xx is in raw.events exactly once;
5. the batch phase's events loaded again with one plain COPY into a table shaped like a partition
   of raw.events -> events/s, and the ratio API / COPY;
6. the SDK paths (issue 9): the same events, `--path-duration` seconds each, through the batch paths
   (`/v1/batch` the baseline, `/v1/b` text/plain with the key in the body,
   `/v1/import`, RudderStack's beacon, PostHog's `/batch/` and gzipped `/e/`) -> events/s and the ratio
   to `/v1/batch` of the same run; and single events through `/v1/track` (baseline), `/v1/t` and Jitsu's
   `/api/s/track` -> requests/s and the ratio; the paths take turns in `--path-rounds` rounds so that
   the machine's drift falls on all alike. `--paths-only` runs just this phase.

Everything is bounded in time and count; the project's rows are deleted at the end (`--keep` keeps them).
The per-key rate limit is lifted for the server under test. Other work on the machine (and in the
same PostgreSQL) shows in the numbers: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import gzip
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from touchline import db, warehouse  # noqa: E402
from touchline.keys import create_key  # noqa: E402

HOST = "127.0.0.1"


# ------------------------------------------------------------------------------------------------
# A minimal HTTP/1.1 keep-alive client


class Conn:
    def __init__(self, port: int, auth: bytes) -> None:
        self.port = port
        self.auth = auth
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> Conn:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    async def post(self, path: bytes, body: bytes, headers: bytes | None = None) -> tuple[int, bytes]:
        """POST `body`; `headers` (complete header lines) replace the default Basic auth and JSON type."""
        assert self.reader is not None and self.writer is not None
        if headers is None:
            headers = b"Authorization: " + self.auth + b"\r\nContent-Type: application/json\r\n"
        self.writer.write(
            b"POST "
            + path
            + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + headers
            + b"User-Agent: touchline-bench\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line[9:12])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length) if length else b""

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


# ------------------------------------------------------------------------------------------------
# Events

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def event(message_id: str, n: int) -> dict:
    return {
        "type": "track",
        "event": "Product Viewed",
        "messageId": message_id,
        "anonymousId": f"anon-{n % 5000}",
        "userId": f"user-{n % 1000}" if n % 3 == 0 else None,
        "timestamp": "2026-01-15T10:11:12.345Z",
        "sentAt": "2026-01-15T10:11:13.000Z",
        "properties": {"product_id": f"p-{n % 300}", "price": 19.99, "currency": "EUR", "position": n % 20},
        "context": {
            "userAgent": UA,
            "locale": "de-DE",
            "timezone": "Europe/Berlin",
            "page": {
                "url": f"https://shop.example.com/p/{n % 300}?utm_source=news",
                "path": f"/p/{n % 300}",
                "referrer": "https://www.google.com/",
                "title": "A product",
            },
            "campaign": {"source": "news", "medium": "email", "name": "spring"},
            "library": {"name": "analytics.js", "version": "5.2.0"},
        },
    }


def posthog_event(message_id: str, n: int) -> dict:
    """The same event as `event`, the way PostHog's SDKs send it."""
    seg = event(message_id, n)
    page = seg["context"]["page"]
    return {
        "event": seg["event"],
        "uuid": message_id,
        "distinct_id": seg["userId"] or seg["anonymousId"],
        "timestamp": seg["timestamp"],
        "properties": {
            **seg["properties"],
            "$device_id": seg["anonymousId"],
            "$current_url": page["url"],
            "$pathname": page["path"],
            "$referrer": page["referrer"],
            "title": page["title"],
            "utm_source": "news",
            "utm_medium": "email",
            "utm_campaign": "spring",
            "$raw_user_agent": UA,
            "$browser_language": "de-DE",
            "$timezone": "Europe/Berlin",
            "$lib": "web",
            "$lib_version": "1.449.2",
        },
    }


TEXT = b"Content-Type: text/plain\r\n"


def batch_paths(key: str, auth: bytes) -> tuple[list, list]:
    """(label, path, headers, (ids, n) -> body) of the batch paths and of the single-event paths; the
    first of each is the baseline. Bodies are spliced from pre-serialised events (50 variants), so the
    client, which shares the machine with the server, spends as little as it can on any path."""
    basic = b"Authorization: " + auth + b"\r\nContent-Type: application/json\r\n"
    jitsu = f"X-Write-Key: {key[:12]}:{key[12:]}\r\nContent-Type: application/json\r\n".encode()
    segment = [orjson.dumps(event("@@ID@@", n)) for n in range(50)]
    posthog = [orjson.dumps(posthog_event("@@ID@@", n)) for n in range(50)]
    key_json = orjson.dumps(key)

    def join(templates, ids, n) -> bytes:
        return b",".join(templates[(n + i) % 50].replace(b"@@ID@@", m.encode()) for i, m in enumerate(ids))

    seg_batch = lambda ids, n: b'{"batch":[' + join(segment, ids, n) + b"]}"  # noqa: E731
    ph_batch = lambda ids, n: b'{"api_key":' + key_json + b',"batch":[' + join(posthog, ids, n) + b"]}"  # noqa: E731
    return [
        ("/v1/batch", b"/v1/batch", basic, seg_batch),
        (
            "/v1/b (text/plain, key in body)",
            b"/v1/b",
            TEXT,
            lambda ids, n: b'{"writeKey":' + key_json + b',"batch":[' + join(segment, ids, n) + b"]}",
        ),
        ("/v1/import", b"/v1/import", basic, seg_batch),
        ("/beacon/v1/batch?writeKey=", f"/beacon/v1/batch?writeKey={key}".encode(), TEXT, seg_batch),
        ("PostHog /batch/", b"/batch/", b"Content-Type: application/json\r\n", ph_batch),
        ("PostHog /e/ gzip-js", b"/e/?compression=gzip-js", TEXT, lambda ids, n: gzip.compress(ph_batch(ids, n), 1)),
    ], [
        ("/v1/track", b"/v1/track", basic, lambda ids, n: join(segment, ids, n)),
        (
            "/v1/t (text/plain, key in body)",
            b"/v1/t",
            TEXT,
            lambda ids, n: join(segment, ids, n)[:-1] + b',"writeKey":' + key_json + b"}",
        ),
        ("Jitsu /api/s/track", b"/api/s/track", jitsu, lambda ids, n: join(segment, ids, n)),
    ]


class Run:
    def __init__(self, port: int, key: str, tag: str) -> None:
        self.port = port
        self.auth = b"Basic " + base64.b64encode(f"{key}:".encode())
        self.tag = tag
        self.acked: list[str] = []
        self.errors: dict[int, int] = {}
        self.counter = 0

    def next_ids(self, prefix: str, n: int) -> list[str]:
        start = self.counter
        self.counter += n
        return [f"{prefix}-{self.tag}-{i}" for i in range(start, start + n)]

    async def connections(self, n: int) -> list[Conn]:
        return [await Conn(self.port, self.auth).open() for _ in range(n)]

    def _result(self, status: int, ids: list[str]) -> None:
        if 200 <= status < 300:
            self.acked.extend(ids)
        else:
            self.errors[status] = self.errors.get(status, 0) + 1

    async def batches(self, seconds: float, concurrency: int, size: int) -> tuple[int, float]:
        return await self.through(
            seconds,
            concurrency,
            size,
            "b",
            b"/v1/batch",
            None,
            lambda ids, n: orjson.dumps({"batch": [event(m, n + i) for i, m in enumerate(ids)]}),
        )

    async def through(
        self, seconds: float, concurrency: int, size: int, prefix: str, path: bytes, headers: bytes, body
    ) -> tuple[int, float]:
        """`size` events per request through one path for `seconds` -> (events acknowledged, seconds)."""
        conns = await self.connections(concurrency)
        stop = time.perf_counter() + seconds
        sent = 0

        async def loop(conn: Conn) -> None:
            nonlocal sent
            while time.perf_counter() < stop:
                ids = self.next_ids(prefix, size)
                status, _ = await conn.post(path, body(ids, self.counter), headers)
                self._result(status, ids)
                if 200 <= status < 300:
                    sent += size

        start = time.perf_counter()
        await asyncio.gather(*(loop(c) for c in conns))
        elapsed = time.perf_counter() - start
        for c in conns:
            c.close()
        return sent, elapsed

    async def singles(self, seconds: float, concurrency: int) -> tuple[int, float]:
        conns = await self.connections(concurrency)
        stop = time.perf_counter() + seconds
        done = 0

        async def loop(conn: Conn) -> None:
            nonlocal done
            while time.perf_counter() < stop:
                ids = self.next_ids("s", 1)
                status, _ = await conn.post(b"/v1/track", orjson.dumps(event(ids[0], self.counter)))
                self._result(status, ids)
                done += 200 <= status < 300

        start = time.perf_counter()
        await asyncio.gather(*(loop(c) for c in conns))
        elapsed = time.perf_counter() - start
        for c in conns:
            c.close()
        return done, elapsed

    async def fixed_rate(self, rate: float, seconds: float, pool_size: int) -> tuple[list[float], float]:
        pool: asyncio.Queue[Conn] = asyncio.Queue()
        for c in await self.connections(pool_size):
            pool.put_nowait(c)
        latencies: list[float] = []
        total = int(rate * seconds)

        async def one(scheduled: float) -> None:
            conn = await pool.get()
            ids = self.next_ids("r", 1)
            status, _ = await conn.post(b"/v1/track", orjson.dumps(event(ids[0], self.counter)))
            latencies.append(time.perf_counter() - scheduled)
            self._result(status, ids)
            pool.put_nowait(conn)

        tasks = []
        start = time.perf_counter()
        i = 0
        while i < total:
            now = time.perf_counter()
            while i < total and start + i / rate <= now:
                tasks.append(asyncio.ensure_future(one(start + i / rate)))
                i += 1
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
        while not pool.empty():
            pool.get_nowait().close()
        return latencies, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# ------------------------------------------------------------------------------------------------
# Database side


def bench_database(explicit: str | None) -> str:
    if explicit:
        return db.libpq_url(explicit)
    url = db.libpq_url(db.with_database(db.server_url(), "touchline_bench_ingest"))
    db.ensure_database(url)
    return url


def zero_loss(url: str, project_id: str, acked: list[str]) -> tuple[int, int, int]:
    """(acked ids missing, acked ids stored more than once, rows stored in all)."""
    with psycopg.connect(url) as conn:
        counts = dict(
            conn.execute(
                "SELECT message_id, count(*) FROM raw.events WHERE project_id = %s GROUP BY 1", (project_id,)
            ).fetchall()
        )
    missing = sum(1 for m in acked if m not in counts)
    doubled = sum(1 for m in acked if counts.get(m, 0) > 1)
    return missing, doubled, sum(counts.values())


COLUMNS = (
    "project_id, message_id, type, event, anonymous_id, user_id, previous_id, event_timestamp, "
    "sent_at, received_at, ip, user_agent, key_prefix, payload"
)


def plain_copy(url: str, project_id: str, tag: str) -> tuple[int, float]:
    """COPY the batch phase's events into a fresh table shaped like a raw.events partition."""
    table = f"bench_copy_{tag}"
    with psycopg.connect(url, autocommit=True) as conn:
        blocks = []
        with conn.cursor().copy(
            f"COPY (SELECT {COLUMNS} FROM raw.events WHERE project_id = %s AND message_id LIKE 'b-%%') TO STDOUT",
            (project_id,),
        ) as copy:
            for block in copy:
                blocks.append(bytes(block))
        conn.execute(f"CREATE TABLE public.{table} (LIKE raw.events INCLUDING DEFAULTS)")
        conn.execute(f"CREATE INDEX ON public.{table} (project_id, received_at)")
        try:
            start = time.perf_counter()
            with conn.transaction():
                with conn.cursor().copy(f"COPY public.{table} ({COLUMNS}) FROM STDIN") as copy:
                    for block in blocks:
                        copy.write(block)
            elapsed = time.perf_counter() - start
            rows = conn.execute(f"SELECT count(*) FROM public.{table}").fetchone()[0]
        finally:
            conn.execute(f"DROP TABLE public.{table}")
    return rows, elapsed


def cleanup(url: str, project_id: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("raw.events", "raw.event_keys", "raw.rejected_events", "ops.api_keys", "ops.projects"):
            conn.execute(f"DELETE FROM {table} WHERE project_id = %s", (project_id,))


# ------------------------------------------------------------------------------------------------


def start_server(url: str, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    # The per-key rate limit is not what is measured here: lift it for this server.
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DO_NOT_TRACK": "1",
        "TOUCHLINE_RATE_PER_SECOND": "1e9",
        "TOUCHLINE_RATE_BURST": "1e9",
    }
    code = f"from ingest_api.server import serve; serve({HOST!r}, {port}, {workers})"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), 0.2) as s:
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(100).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become healthy within 60 s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


async def run_paths(run: Run, args, key: str) -> list[tuple[str, float, float]]:
    """Phase 6: (label, rate, ratio to the baseline of its kind) for every SDK path. The paths take
    turns in `--path-rounds` rounds, so the drift of the machine (checkpoints, autovacuum, other work)
    falls on all of them alike."""
    batch, single = batch_paths(key, run.auth)
    results = []
    for kind, paths, size, concurrency in (
        ("events/s", batch, args.batch_size, args.concurrency),
        ("requests/s", single, 1, args.single_concurrency),
    ):
        totals = {label: [0, 0.0] for label, *_ in paths}
        for _ in range(args.path_rounds):
            for label, path, headers, body in paths:
                sent, elapsed = await run.through(
                    args.path_duration / args.path_rounds, concurrency, size, "p", path, headers, body
                )
                totals[label][0] += sent
                totals[label][1] += elapsed
        base = totals[paths[0][0]][0] / totals[paths[0][0]][1]
        for label, (sent, elapsed) in totals.items():
            print(f"  {label:34s} {sent / elapsed:10,.0f} {kind}", flush=True)
            results.append((f"{label} ({kind})", sent / elapsed, sent / elapsed / base))
    return results


async def run_load(args, port: int, key: str, tag: str) -> tuple[Run, dict]:
    run = Run(port, key, tag)
    out: dict = {}
    # warm-up (caches, connections, prepared statements): not counted, not in the loss check
    await run.batches(2, args.concurrency, args.batch_size)
    await run.singles(1, args.single_concurrency)
    run.acked.clear()
    run.errors.clear()
    if args.paths_only:
        out["paths"] = await run_paths(run, args, key)
        return run, out

    # The latency phase first: after a bulk phase PostgreSQL checkpoints and autovacuums for a while,
    # which is another scenario than "1,000 requests/s".
    latencies, elapsed = await run.fixed_rate(args.rate, args.rate_duration, 256)
    out["rate"] = (latencies, elapsed)
    print(f"  at {args.rate:,.0f}/s: {len(latencies):,} requests in {elapsed:.1f} s", flush=True)
    done, elapsed = await run.singles(args.single_duration, args.single_concurrency)
    out["single"] = (done, elapsed)
    print(f"  single:   {done:,} requests in {elapsed:.1f} s = {done / elapsed:,.0f} requests/s", flush=True)
    sent, elapsed = await run.batches(args.duration, args.concurrency, args.batch_size)
    out["batch"] = (sent, elapsed)
    print(f"  batches:  {sent:,} events in {elapsed:.1f} s = {sent / elapsed:,.0f} events/s", flush=True)
    out["paths"] = await run_paths(run, args, key)
    return run, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of the batch phase (default 60)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent batch clients")
    parser.add_argument("--single-duration", type=float, default=20)
    parser.add_argument("--single-concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=1000, help="requests/s of the latency phase")
    parser.add_argument("--rate-duration", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--keep", action="store_true", help="keep the bench project's rows")
    parser.add_argument("--path-duration", type=float, default=20, help="seconds per SDK path (phase 6)")
    parser.add_argument("--path-rounds", type=int, default=10, help="rounds the SDK paths take turns in")
    parser.add_argument("--paths-only", action="store_true", help="only phase 6: the SDK paths against /v1/batch")
    args = parser.parse_args()
    if (
        args.duration > 3600
        or args.single_duration > 600
        or args.rate_duration > 600
        or args.rate > 20000
        or args.path_duration > 600
    ):
        raise SystemExit("bounded on purpose: duration <= 3600 s, others <= 600 s, rate <= 20000/s")

    url = bench_database(args.database_url)
    with psycopg.connect(url) as conn:
        warehouse.migrate(conn)
    tag = time.strftime("%Y%m%d%H%M%S")
    with psycopg.connect(url, autocommit=True) as conn:
        project_id, key = create_key(conn, f"bench {tag}")
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"touchline-bench-{tag}.log"
    print(
        f"server: 127.0.0.1:{port}, {args.workers} worker(s), database {db.url_parts(url).database}, "
        f"project {project_id}; server log {log_path}",
        flush=True,
    )
    server = start_server(url, port, args.workers, log_path)
    try:
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        gc.freeze()
        gc.disable()  # a GC pause in this client would show up as server latency; the run is bounded
        try:
            run, out = asyncio.run(run_load(args, port, key, tag))
        finally:
            gc.enable()
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    missing, doubled, stored = zero_loss(url, project_id, run.acked)
    loss = (
        f"zero loss: {len(run.acked):,} acknowledged, {missing} missing, {doubled} stored twice, "
        f"{stored:,} rows stored -> {'OK' if not missing and not doubled else 'FAILED'}"
    )
    print()
    print(
        f"SDK paths, {args.path_duration:.0f} s each (ratio to /v1/batch, or to /v1/track for single events, "
        f"of this run; target >= 0.90):"
    )
    for label, rate, ratio in out["paths"]:
        print(f"  {label:48s} {rate:10,.0f}   ratio {ratio:.2f}")
    print(f"errors (non-2xx answers): {run.errors or 'none'}")
    if args.paths_only:
        if not args.keep:
            cleanup(url, project_id)
        print(loss)
        return
    copy_rows, copy_s = plain_copy(url, project_id, tag)
    if not args.keep:
        cleanup(url, project_id)

    sent, batch_s = out["batch"]
    done, single_s = out["single"]
    latencies, rate_s = out["rate"]
    api_rate = sent / batch_s
    copy_rate = copy_rows / copy_s if copy_s else float("nan")
    ms = [x * 1000 for x in latencies]
    per_second = max(1, int(args.rate))
    worst = max(percentile(ms[i : i + per_second], 0.99) for i in range(0, len(ms), per_second))
    print()
    print(
        f"batches of {args.batch_size}, {args.concurrency} clients, {batch_s:.0f} s: {api_rate:,.0f} events/s  (target >= 10,000)"
    )
    print(
        f"single events, {args.single_concurrency} clients, {single_s:.0f} s: {done / single_s:,.0f} requests/s  (target >= 1,500)"
    )
    print(
        f"fixed {args.rate:,.0f} requests/s for {rate_s:.0f} s: achieved {len(latencies) / rate_s:,.0f}/s, "
        f"p50 {percentile(ms, 0.50):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms, "
        f"worst 1-s window p99 {worst:.1f} ms  (target p99 <= 50 ms)"
    )
    print(loss)
    print(
        f"plain COPY of the same {copy_rows:,} events: {copy_s:.2f} s = {copy_rate:,.0f} events/s; "
        f"API / COPY = {api_rate / copy_rate:.2f}  (target >= 0.25)"
    )


if __name__ == "__main__":
    main()
