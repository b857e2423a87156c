"""Time in the simulation: epoch milliseconds, their units, and ISO 8601 text."""

from __future__ import annotations

import datetime as dt

SEC = 1_000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR

_DAY_PREFIX: dict[int, str] = {}
_EPOCH_DATE = dt.date(1970, 1, 1)


def iso(ms: int) -> str:
    """Epoch milliseconds -> `YYYY-MM-DDTHH:MM:SS.mmmZ` (fast)."""
    day, rem = divmod(ms, DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = (_EPOCH_DATE + dt.timedelta(days=day)).isoformat() + "T"
    s, milli = divmod(rem, 1000)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{prefix}{h:02d}:{m:02d}:{s:02d}.{milli:03d}Z"


def parse_iso(value: str) -> int:
    d = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return int(d.timestamp() * 1000)


def default_end(now: dt.datetime | None = None) -> int:
    """Today 00:00 UTC: the same seed gives the same data all day."""
    now = now or dt.datetime.now(dt.UTC)
    return int(dt.datetime(now.year, now.month, now.day, tzinfo=dt.UTC).timestamp() * 1000)
