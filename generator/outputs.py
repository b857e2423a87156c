"""Where a `Dataset` goes: JSON lines (`write_jsonl`, `write_truth`), the ingest API over HTTP (`post_http`),
or straight into raw.events (`load_raw`)."""

from __future__ import annotations

import datetime as dt
import gc
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg.copy import QueuedLibpqWriter

from generator.clock import iso
from generator.dataset import Dataset
from ingest_api.events import Capture, Limits, prepare
from ingest_api.queries import sql
from ingest_api.rows import RejectedEvent, first_copies
from ingest_api.writer import redact
from touchline.settings import get_settings


def write_jsonl(dataset: Dataset, path) -> int:
    """One message per line in delivery order; malformed items as their raw text. Returns lines written."""
    n = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        buf = []
        for kind, i in dataset.stream():
            item = dataset.messages[i] if kind == "msg" else dataset.malformed[i]
            buf.append(item.encode() if isinstance(item, str) else orjson.dumps(item))
            n += 1
            if len(buf) >= 10_000:
                f.write(b"\n".join(buf) + b"\n")
                buf = []
        if buf:
            f.write(b"\n".join(buf) + b"\n")
    return n


def write_truth(dataset: Dataset, path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(orjson.dumps(dataset.truth))


def now_ms() -> int:
    return int(time.time() * 1000)


def post_http(
    dataset: Dataset,
    base_url: str,
    key: str,
    batch_size: int = 100,
    concurrency: int = 4,
    progress: bool = True,
    timeout: float = 30.0,
    transport=None,
) -> dict:
    """POST everything to `base_url/v1/batch` in Segment's batch format, `concurrency` requests at a time.

    `sentAt` is re-stamped at sending time on each device's clock (real now + skew) so that the
    server's `receivedAt - (sentAt - timestamp)` gives the true event time. Malformed dicts travel inside
    ordinary batches (the API rejects them one by one); invalid JSON text is posted alone. 429 and 5xx
    answers and connection errors are retried (up to 6 times, honouring Retry-After); when a request
    still fails, the rest is not sent (failed_requests > 0). Returns counts:
    requests, messages, malformed, ok (2xx), rejected_requests (4xx), retries, failed_requests, errors
    (first few), seconds, events_per_second. `transport` is for tests (an httpx transport)."""
    import httpx  # noqa: PLC0415 (only the HTTP mode needs it)

    url = base_url.rstrip("/") + "/v1/batch"
    # build the request plan: lists of message indexes / malformed dicts, or raw strings
    plan: list[Any] = []
    cur: list = []
    for kind, i in dataset.stream():
        if kind == "bad" and isinstance(dataset.malformed[i], str):
            plan.append(dataset.malformed[i])
            continue
        cur.append((kind, i))
        if len(cur) >= batch_size:
            plan.append(cur)
            cur = []
    if cur:
        plan.append(cur)
    stats = {
        "requests": 0,
        "messages": 0,
        "malformed": 0,
        "ok": 0,
        "rejected_requests": 0,
        "retries": 0,
        "failed_requests": 0,
        "errors": [],
    }
    lock = threading.Lock()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=len(dataset.messages) + len(dataset.malformed), unit="ev", desc="POST /v1/batch", file=sys.stderr
        )
    client = httpx.Client(
        auth=httpx.BasicAuth(key, ""),
        timeout=timeout,
        transport=transport,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )

    abort = threading.Event()  # a request that failed all its attempts stops the rest

    def send(item) -> None:
        n_items = 1
        err = "aborted after an earlier failure"
        for attempt in range(7):
            if abort.is_set():
                break
            if isinstance(item, str):
                body = item.encode()
            else:
                now = now_ms()
                batch = []
                for kind, i in item:
                    if kind == "msg":
                        m = dict(dataset.messages[i])
                        m["sentAt"] = iso(now + dataset.skew_ms[i])
                        batch.append(m)
                    else:
                        batch.append(dataset.malformed[i])
                n_items = len(batch)
                body = orjson.dumps({"batch": batch, "sentAt": iso(now)})
            try:
                r = client.post(url, content=body, headers={"Content-Type": "application/json"})
            except httpx.TransportError as exc:
                err, wait = f"{type(exc).__name__}: {exc}", min(30.0, 0.5 * 2**attempt)
            else:
                if r.status_code < 300 or (400 <= r.status_code < 500 and r.status_code not in (408, 429)):
                    with lock:
                        stats["requests"] += 1
                        if isinstance(item, str):
                            stats["malformed"] += 1
                        else:
                            stats["messages"] += sum(1 for k, _ in item if k == "msg")
                            stats["malformed"] += sum(1 for k, _ in item if k == "bad")
                        if r.status_code < 300:
                            stats["ok"] += 1
                        else:
                            stats["rejected_requests"] += 1
                            if not isinstance(item, str) and len(stats["errors"]) < 5:
                                stats["errors"].append(f"{r.status_code}: {r.text[:200]}")
                        if bar is not None:
                            bar.update(n_items)
                    return
                err = f"HTTP {r.status_code}"
                try:
                    wait = float(r.headers.get("Retry-After", "")) if r.status_code == 429 else 0.5 * 2**attempt
                except ValueError:
                    wait = 1.0
            with lock:
                stats["retries"] += 1
            time.sleep(min(wait, 10.0))
        abort.set()
        with lock:
            stats["failed_requests"] += 1
            if len(stats["errors"]) < 5 and err not in stats["errors"]:
                stats["errors"].append(err)

    t0 = time.perf_counter()
    try:
        try:  # fail fast when nothing listens there (any HTTP answer will do)
            client.get(base_url.rstrip("/") + "/api/v1/health", timeout=5)
        except httpx.TransportError as exc:
            stats.update(
                failed_requests=len(plan),
                errors=[f"cannot reach {base_url}: {type(exc).__name__}: {exc}"],
                seconds=0.0,
                events_per_second=None,
            )
            return stats
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for f in [pool.submit(send, item) for item in plan]:
                f.result()
    finally:
        client.close()
        if bar is not None:
            bar.close()
    stats["seconds"] = round(time.perf_counter() - t0, 2)
    stats["events_per_second"] = round(stats["messages"] / stats["seconds"]) if stats["seconds"] else None
    return stats


LOAD_CHUNK = 20_000  # messages per round of load_raw: at most one group of ingest's writer (group_max_events)


def load_raw(conn: psycopg.Connection, dataset: Dataset, project_id: str, key_prefix: str | None = None) -> int:
    """Bulk-load the messages into raw.events as the ingest API stores them, through ingest's own code:
    `ingest_api.events.prepare` turns each message into its `RawEvent` (validation and capture, as for a
    request; `received_at` is the synthetic receive time: true time + latency, days later for late events),
    `ingest_api.rows.first_copies` keeps the earliest received copy of a messageId within a round of
    LOAD_CHUNK messages, `raw.event_keys` across rounds and earlier loads (`queries/claim_keys.sql`), and
    `queries/copy_events.sql` COPYs the new rows. A message that ingest would reject is quarantined in
    raw.rejected_events with its reason, as the API does (the data set's `malformed` items are not loaded:
    `post_http` sends them). Returns the number of rows inserted into raw.events. Runs in one transaction
    (committed at the end, also on an autocommit connection). Phase timings of the last call:
    `load_raw.timings`."""
    settings = get_settings()
    limits = Limits(settings.max_body_bytes, settings.max_event_bytes, settings.max_depth, settings.max_batch_items)
    capture = Capture(project_id, key_prefix, dt.datetime.now(dt.UTC), None, None)  # type: ignore[arg-type]
    messages, rec = dataset.messages, dataset.received_ms
    n = 0
    timings = {"prepare": 0.0, "keys": 0.0, "events": 0.0}
    gc_was = gc.isenabled()
    gc.disable()  # acyclic rows by the million: keep the cyclic GC from rescanning the data set meanwhile
    try:
        with conn.transaction():
            if messages:
                m0, m1 = (dt.date.fromisoformat(iso(f(rec))[:7] + "-01") for f in (min, max))
                months_ahead = (m1.year - m0.year) * 12 + m1.month - m0.month
                conn.execute(sql("ensure_partitions"), {"month": m0, "months_ahead": months_ahead})
            cur = conn.cursor()
            for start in range(0, len(messages), LOAD_CHUNK):
                received = [iso(r) for r in rec[start : start + LOAD_CHUNK]]
                n += _load_round(cur, messages[start : start + LOAD_CHUNK], received, capture, limits, timings)
    finally:
        if gc_was:
            gc.enable()
    load_raw.timings = timings  # type: ignore[attr-defined]
    return n


def _load_round(
    cur: psycopg.Cursor,
    messages: list[dict],
    received: list[str],
    capture: Capture,
    limits: Limits,
    timings: dict[str, float],
) -> int:
    """One round of load_raw: prepare, deduplicate, claim the keys, COPY. Returns the rows stored."""
    t0 = time.perf_counter()
    # prepare() adds receivedAt (and what the capture knows) to each message: it gets copies
    prepared = prepare([dict(m) for m in messages], capture, limits, received=received)
    rows = first_copies(prepared.rows)
    t1 = time.perf_counter()
    taken = set(
        cur.execute(
            sql("claim_keys"),
            {
                "project_ids": [r.project_id for r in rows],
                "message_ids": [r.message_id for r in rows],
                "received_at": [r.received_at for r in rows],
            },
        ).fetchall()
    )
    if taken:
        rows = [r for r in rows if (r.project_id, r.message_id) not in taken]
    t2 = time.perf_counter()
    with cur.copy(sql("copy_events"), writer=QueuedLibpqWriter(cur)) as cp:  # a thread sends meanwhile
        for row in rows:
            cp.write_row(row)
    if prepared.rejected:
        with cur.copy(sql("copy_rejected")) as cp:
            for r in prepared.rejected:
                cp.write_row(
                    RejectedEvent(
                        capture.project_id, received[r.index], r.reason, capture.key_prefix, redact(r.payload)
                    )
                )
    timings["prepare"] += t1 - t0
    timings["keys"] += t2 - t1
    timings["events"] += time.perf_counter() - t2
    return len(rows)
