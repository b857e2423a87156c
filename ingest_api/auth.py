"""Write keys, rate limits and allowed origins, all answered from memory on the hot path.

- `key_from_headers`: Basic (key as user name, what Segment and RudderStack SDKs send), Bearer, or
  `X-Write-Key` (Jitsu's `key:secret` form too, see `normalize_key`); then a `writeKey` query parameter
  (RudderStack's beacon), then `key_in_body` (Segment's browser library, PostHog's token).
- `KeyStore`: key hash -> project, cached `key_cache_ttl_s` (unknown keys too, so a flood of bad keys
  does not reach the database); concurrent misses share one lookup. Use is recorded in memory and
  written to `ops.api_keys.last_used_at` every `last_used_interval_s`, not per request.
- `RateLimiter`: a token bucket per key, one token per request, in each worker process (the rate is
  divided by the number of workers).
- `CachedSet`: the values a query returns, re-read at most every `key_cache_ttl_s`: the origins some
  project allows (`OriginCache`, for preflights, which carry no key) and the projects' tracker paths.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.datastructures import Headers

from ingest_api.database import Database
from ingest_api.queries import sql
from touchline.keys import KEY_RE, hash_key

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: int
    project_id: str
    env: str
    key_prefix: str
    revoked: bool
    allowed_origins: tuple[str, ...]

    def allows_origin(self, origin: str) -> bool:
        return "*" in self.allowed_origins or origin.rstrip("/") in self.allowed_origins


def key_from_headers(headers: Headers) -> str | None:
    """The write key the headers carry; "" when they carry a malformed one; None when none."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                user = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                return ""
            return user.strip()
        if scheme == "bearer":
            return normalize_key(value)
        return ""
    key = headers.get("x-write-key")
    return normalize_key(key) if key is not None else None


def well_formed(key: str) -> bool:
    return bool(KEY_RE.match(key))


def normalize_key(key: str) -> str:
    """Jitsu's SDKs insist on a `key:secret` write key: `sk_live_AbCd:<the other 28 characters>` (the key
    cut after its display prefix) is the key; otherwise the part before the colon is (`<key>:anything`)."""
    key = key.strip()
    if ":" not in key:
        return key
    head, _, tail = key.partition(":")
    return head + tail if well_formed(head + tail) else head.strip()


def key_in_body(data: object) -> str | None:
    """The key a body carries: `writeKey` (Segment's browser library, RudderStack), `api_key` or `token`
    (PostHog's server SDKs), or `properties.token` of the (first) event (posthog-js)."""
    if isinstance(data, list):
        data = data[0] if data else None
    if not isinstance(data, dict):
        return None
    for name in ("writeKey", "api_key", "token"):
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    props = data.get("properties")
    if isinstance(props, dict) and isinstance(props.get("token"), str) and props["token"].strip():
        return props["token"].strip()
    batch = data.get("batch")
    if isinstance(batch, list) and batch and isinstance(batch[0], dict) and "batch" not in batch[0]:
        return key_in_body(batch[0])
    return None


class KeyStore:
    def __init__(self, db: Database, ttl: float, max_entries: int = 100_000) -> None:
        self.db = db
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: dict[str, tuple[float, KeyInfo | None]] = {}
        self._inflight: dict[str, asyncio.Future] = {}
        self._used: set[int] = set()

    async def resolve(self, key: str) -> KeyInfo | None:
        """The key's row (revoked ones too) or None when unknown. DatabaseUnavailable on a miss
        while the database is down."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            rows = await self.db.fetch(sql("lookup_key"), {"key_hash": hash_key(key)})
            info = (
                KeyInfo(
                    rows[0][0],
                    rows[0][1],
                    rows[0][2],
                    rows[0][3],
                    rows[0][4],
                    tuple(o.rstrip("/") for o in rows[0][5] or ()),
                )
                if rows
                else None
            )
            if len(self._cache) >= self.max_entries:
                self._cache.clear()
            self._cache[key] = (now + self.ttl, info)
            future.set_result(info)
            return info
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here; waiters re-raise it
            raise
        finally:
            del self._inflight[key]

    def mark_used(self, key_id: int) -> None:
        self._used.add(key_id)

    async def flush_used(self) -> None:
        """Write last_used_at for the keys used since the last flush (kept for the next one on failure)."""
        if not self._used:
            return
        used, self._used = self._used, set()
        try:
            await self.db.fetch(sql("touch_keys"), {"key_ids": sorted(used), "used_at": datetime.now(UTC)})
        except Exception as exc:  # noqa: BLE001 - retried at the next flush
            self._used |= used
            log.warning("could not record key use: %s", exc)

    async def flush_forever(self, interval: float, stopping: asyncio.Event) -> None:
        """Flush every `interval` seconds until `stopping` is set (the shutdown flushes last, after the
        writer). Stopped by the event, not cancelled: on Python 3.11 a cancel that meets a database call
        finishing at that moment can be lost (asyncio.wait_for, gh-86296), and the shutdown that awaits the
        task then waits for good."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await stopping.wait()
            if stopping.is_set():
                return
            await self.flush_used()


class RateLimiter:
    """Token buckets per key: `rate` requests per second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._buckets: dict[int, list[float]] = {}

    def take(self, key_id: int) -> int:
        """0 when allowed, else the whole seconds to wait (for Retry-After)."""
        now = time.monotonic()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = [self.burst, now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0
        bucket[0] = tokens
        return max(1, math.ceil((1.0 - tokens) / self.rate)) if self.rate > 0 else 60


class CachedSet:
    """The first column of the rows query `name` (ingest_api/queries) returns, read again at most every
    `ttl` seconds."""

    def __init__(self, db: Database, name: str, ttl: float) -> None:
        self.db = db
        self.name = name
        self.ttl = ttl
        self._values: frozenset[str] = frozenset()
        self._expires = 0.0

    async def get(self) -> frozenset[str]:
        if time.monotonic() >= self._expires:
            rows = await self.db.fetch(sql(self.name))
            self._values = frozenset(r[0] for r in rows)
            self._expires = time.monotonic() + self.ttl
        return self._values

    def expire(self) -> None:
        """Read again on the next `get` (a setting just changed)."""
        self._expires = 0.0


class OriginCache(CachedSet):
    def __init__(self, db: Database, ttl: float) -> None:
        super().__init__(db, "allowed_origins", ttl)

    async def allowed_by_any(self, origin: str) -> bool:
        origins = await self.get()
        return "*" in origins or origin.rstrip("/") in origins
