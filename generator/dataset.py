"""`generate()`: the simulation delivered as an SDK would send it (send and receive times, clock skew,
late sessions, retried duplicates, malformed items mixed in) with its ground truth: a `Dataset`."""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass, field
from random import Random
from typing import Any

import orjson

from generator.catalogue import random_uuid
from generator.clock import DAY, HOUR, SEC, default_end, iso, parse_iso
from generator.journeys import Simulation
from generator.truth import ground_truth


@dataclass
class Dataset:
    """Messages in delivery order (duplicates and late ones included), malformed items, ground truth.

    `received_ms[i]` is the synthetic receive time of `messages[i]` (used by load_raw), `skew_ms[i]` the
    clock skew of its device (post_http re-stamps `sentAt` with it), `malformed_positions[j]` the index in
    `messages` before which `malformed[j]` is delivered."""

    messages: list[dict]
    malformed: list[Any]
    truth: dict
    received_ms: list[int] = field(default_factory=list, repr=False)
    skew_ms: list[int] = field(default_factory=list, repr=False)
    malformed_positions: list[int] = field(default_factory=list, repr=False)

    def stream(self):
        """Items in delivery order: ('msg', index) or ('bad', index into malformed)."""
        j, bad = 0, sorted(range(len(self.malformed)), key=lambda k: self.malformed_positions[k])
        for i in range(len(self.messages) + 1):
            while j < len(bad) and self.malformed_positions[bad[j]] <= i:
                yield "bad", bad[j]
                j += 1
            if i < len(self.messages):
                yield "msg", i


def generate(
    events: int = 50_000, seed: int = 42, days: int = 30, end: int | str | dt.datetime | None = None
) -> Dataset:
    """Simulate `events` (approximately) over `days` ending at `end` (default today 00:00 UTC)."""
    if end is None:
        end_ms = default_end()
    elif isinstance(end, str):
        end_ms = parse_iso(end)
    elif isinstance(end, dt.datetime):
        end_ms = int(end.timestamp() * 1000)
    else:
        end_ms = int(end)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        sim = Simulation(events, seed, days, end_ms)
        sim.run()
        data = _deliver(sim)
        if events >= 200_000:
            gc.freeze()  # millions of acyclic dicts: keep the cyclic GC from rescanning them afterwards
        return data
    finally:
        if gc_was:
            gc.enable()


def _deliver(sim: Simulation) -> Dataset:
    rng = Random(sim.seed * 7919 + 1)  # own stream: delivery changes do not move the simulation
    end = sim.end
    recs: list[tuple] = []  # (received, seq, skew, msg)
    seq = 0
    late_ids: list[str] = []
    for s in sim.sessions + sim.bot_sessions:
        dev = s.dev
        skew = dev.skew
        app = dev.kind == "app"
        if s.late:
            base = end - rng.randrange(2 * HOUR)
            for j, (_t, msg) in enumerate(s.events):
                recv = base + j * 40
                msg["sentAt"] = iso(recv - 25 + skew)
                recs.append((recv, seq, skew, msg))
                seq += 1
                late_ids.append(msg["messageId"])
            continue
        for t, msg in s.events:
            send = t + (rng.randrange(30_000) if app else rng.randrange(5, 400))
            recv = send + rng.randrange(15, 600)
            msg["sentAt"] = iso(send + skew)
            recs.append((recv, seq, skew, msg))
            seq += 1
    recs.sort()
    # retried duplicates: single messages, and whole batches (same messageIds, a little later)
    n = len(recs)
    dups: list[tuple] = []
    late_set = set(late_ids)
    for _ in range(max(2, n // 150)):
        r = recs[rng.randrange(n)]
        if r[3]["messageId"] not in late_set:
            dups.append((r[0] + rng.randint(1 * SEC, 120 * SEC), seq, r[2], r[3]))
            seq += 1
    for _ in range(max(1, n // 20_000)):
        i = rng.randrange(max(1, n - 20))
        batch = [r for r in recs[i : i + 20] if r[3]["messageId"] not in late_set]
        if batch:
            when = batch[-1][0] + rng.randint(10 * SEC, 60 * SEC)
            for k, r in enumerate(batch):
                dups.append((when + k, seq, r[2], r[3]))
                seq += 1
    recs.extend(dups)
    recs.sort()
    messages = [r[3] for r in recs]
    received = [r[0] for r in recs]
    skews = [r[2] for r in recs]
    malformed, positions, bad_truth = _malformed(rng, sim, len(messages))
    truth = ground_truth(sim, messages, late_ids, dups, bad_truth)
    return Dataset(messages, malformed, truth, received, skews, positions)


def _malformed(rng: Random, sim: Simulation, n_messages: int):
    kinds = [
        "missing_type",
        "track_without_event",
        "alias_without_previous_id",
        "missing_ids",
        "invalid_timestamp",
        "invalid_json",
    ]
    count = max(12, sim.target // 2000)
    items, positions, info = [], [], []
    base_t = sim.start + (sim.end - sim.start) // 2
    for i in range(count):
        kind = kinds[i % len(kinds)]
        mid = "ajs-next-" + f"{rng.getrandbits(128):032x}"
        anon = random_uuid(rng)
        ts = iso(base_t + rng.randrange(DAY))
        msg: dict[str, Any] = {
            "messageId": mid,
            "type": "track",
            "anonymousId": anon,
            "event": "Button Clicked",
            "properties": {"label": "broken"},
            "context": {"library": {"name": "analytics.js", "version": "next-1.70.0"}},
            "timestamp": ts,
            "sentAt": ts,
        }
        if kind == "missing_type":
            del msg["type"]
        elif kind == "track_without_event":
            del msg["event"]
        elif kind == "alias_without_previous_id":
            msg["type"], msg["userId"] = "alias", "usr_" + f"{rng.getrandbits(40):010x}"
            del msg["event"]
        elif kind == "missing_ids":
            del msg["anonymousId"]
        elif kind == "invalid_timestamp":
            msg["timestamp"] = rng.choice(("yesterday at noon", "2024-13-45T25:61:00Z", "not-a-date"))
        item: Any = msg
        if kind == "invalid_json":
            item = orjson.dumps(msg).decode()[: -rng.randint(5, 30)]  # truncated JSON text
        items.append(item)
        positions.append(rng.randrange(n_messages + 1))
        info.append({"reason": kind, "messageId": mid, "raw": item})
    return items, positions, info
