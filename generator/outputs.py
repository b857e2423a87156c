"""Where a `Dataset` goes: JSON lines (`write_jsonl`, `write_truth`), the ingest API over HTTP (`post_http`),
or straight into raw.events (`load_raw`)."""
from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import psycopg

from generator.clock import iso
from generator.dataset import Dataset
from ingest_api.rows import RAW_EVENT_COLUMNS


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


def post_http(dataset: Dataset, base_url: str, key: str, batch_size: int = 100, concurrency: int = 4,
              progress: bool = True, timeout: float = 30.0, transport=None) -> dict:
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
    stats = {"requests": 0, "messages": 0, "malformed": 0, "ok": 0, "rejected_requests": 0, "retries": 0,
             "failed_requests": 0, "errors": []}
    lock = threading.Lock()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(dataset.messages) + len(dataset.malformed), unit="ev", desc="POST /v1/batch",
                   file=sys.stderr)
    client = httpx.Client(auth=httpx.BasicAuth(key, ""), timeout=timeout, transport=transport,
                          limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))

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
                err, wait = f"{type(exc).__name__}: {exc}", min(30.0, 0.5 * 2 ** attempt)
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
                    wait = float(r.headers.get("Retry-After", "")) if r.status_code == 429 else 0.5 * 2 ** attempt
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
            stats.update(failed_requests=len(plan), errors=[f"cannot reach {base_url}: {type(exc).__name__}: {exc}"],
                         seconds=0.0, events_per_second=None)
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


def _copy_text(v: str) -> str:
    if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
        return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return v


def load_raw(conn: "psycopg.Connection", dataset: Dataset, project_id: str, key_prefix: str | None = None) -> int:
    """Bulk-load the unique valid messages into raw.events (+ raw.event_keys) with COPY, as the API
    would store them: one row per messageId (the earliest received copy), received_at synthetic (true
    time + latency; days later for late events). Message ids already in raw.event_keys for the project are
    skipped. Returns the number of rows inserted into raw.events. Runs in one transaction (committed at
    the end, also on an autocommit connection). Phase timings of the last call: `load_raw.timings`."""
    first: dict[str, int] = {}
    for i, m in enumerate(dataset.messages):
        first.setdefault(m["messageId"], i)
    rec = dataset.received_ms
    months = sorted({iso(rec[i])[:7] for i in (min(first.values(), key=rec.__getitem__),
                                               max(first.values(), key=rec.__getitem__))})
    m0 = dt.date.fromisoformat(months[0] + "-01")
    m1 = dt.date.fromisoformat(months[-1] + "-01")
    n_months = (m1.year - m0.year) * 12 + m1.month - m0.month
    timings = {}
    t0 = time.perf_counter()
    with conn.transaction():
        conn.execute("SELECT raw.ensure_event_partitions(%s, %s)", (m0, n_months))
        pid = _copy_text(project_id)

        def write_keys(cp, with_project: bool):
            buf = []
            for mid, i in first.items():
                buf.append(f"{pid}\t{_copy_text(mid)}\t{iso(rec[i])}\n" if with_project
                           else f"{_copy_text(mid)}\t{iso(rec[i])}\n")
                if len(buf) >= 50_000:
                    cp.write("".join(buf))
                    buf = []
            cp.write("".join(buf))

        new: set[str] | None = None  # None: every message id is new
        try:  # fast path: nothing of this data set is there yet
            with conn.transaction():
                with conn.cursor().copy("COPY raw.event_keys (project_id, message_id, received_at) FROM STDIN") as cp:
                    write_keys(cp, True)
        except psycopg.errors.UniqueViolation:  # some were loaded before: keep only the new ones
            conn.execute("CREATE TEMP TABLE _gen_keys (message_id text, received_at timestamptz) ON COMMIT DROP")
            with conn.cursor().copy("COPY _gen_keys (message_id, received_at) FROM STDIN") as cp:
                write_keys(cp, False)
            new = {r[0] for r in conn.execute(
                "INSERT INTO raw.event_keys (project_id, message_id, received_at) "
                "SELECT %s, message_id, received_at FROM _gen_keys ON CONFLICT DO NOTHING RETURNING message_id",
                (project_id,))}
        timings["keys"] = time.perf_counter() - t0
        kp = _copy_text(key_prefix) if key_prefix else "\\N"
        n = 0
        cols = ", ".join(RAW_EVENT_COLUMNS)
        dumps = orjson.dumps
        from psycopg.copy import QueuedLibpqWriter  # a thread sends while this one builds rows

        cur = conn.cursor()
        with cur.copy(f"COPY raw.events ({cols}) FROM STDIN", writer=QueuedLibpqWriter(cur)) as cp:
            buf = []
            for mid, i in first.items():
                if new is not None and mid not in new:
                    continue
                m = dataset.messages[i]
                ctx = m.get("context") or {}
                ev, anon, uid, prev = m.get("event"), m.get("anonymousId"), m.get("userId"), m.get("previousId")
                ip, ua = ctx.get("ip"), ctx.get("userAgent")
                payload = dumps(m).decode()
                if "\\" in payload:
                    payload = payload.replace("\\", "\\\\")
                buf.append("\t".join((
                    pid, _copy_text(mid), m["type"], _copy_text(ev) if ev else "\\N",
                    _copy_text(anon) if anon else "\\N", _copy_text(uid) if uid else "\\N",
                    _copy_text(prev) if prev else "\\N", m.get("timestamp") or m.get("originalTimestamp") or "\\N",
                    m.get("sentAt") or "\\N", iso(rec[i]), ip or "\\N", _copy_text(ua) if ua else "\\N", kp,
                    payload)) + "\n")
                n += 1
                if len(buf) >= 20_000:
                    cp.write("".join(buf))
                    buf = []
            cp.write("".join(buf))
        timings["events"] = time.perf_counter() - t0 - timings["keys"]
    load_raw.timings = timings  # type: ignore[attr-defined]
    return n
