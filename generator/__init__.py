"""`touchline generate`: synthetic traffic of a web shop, deterministic for a seed, with ground truth.

The simulation works in *true* time. Visitors (people) own devices; each device has a stream of
explicit sessions (gaps inside a session 3 s..20 min, at most 2 h long, consecutive sessions of a device
start at least 2 h 50 min apart, so more than 45 min lie between them). Campaigns (UTM parameters, click
ids) only appear on the first event of a session. Identity follows what a site does: `identify` at
sign-up and login, userId carried on later events of a logged-in device, `alias` when a user id changes,
logout at the end of every session on a shared device.

Delivery: an event is sent a little after it happens (`sentAt` = send time on the device clock, which
may be skewed by minutes or hours; `timestamp` = true time on that clock) and received after a small
network latency, so `receivedAt - (sentAt - timestamp)` = true time + latency (< 1 s). Some sessions of
mobile devices are delivered late (days after they happened, at the end of the period); some messages
and whole batches are delivered twice; a few malformed items are mixed in.

The ground truth (`Dataset.truth`) is computed from the simulation with the rules of docs/architecture.md §4
(sessions as generated; users by "identity over time"; alias chains to their end), independently of SQL.
Its format is `generator.truth.truth_format`.

Modules, in the order data flows through them:
- `clock`      epoch milliseconds, their units, ISO 8601 text
- `catalogue`  the shop: names, products, pages, user agents, IP pools, bots, referrers, campaigns, click ids
- `journeys`   the simulation (people, devices, sessions, identity) in true time
- `truth`      the ground truth computed from the simulation
- `dataset`    `generate()`: the simulation delivered (skew, late, duplicates, malformed) as a `Dataset`
- `outputs`    JSON lines, HTTP to the ingest API, bulk load into raw.events through ingest's own preparation
- `command`    `touchline generate`'s arguments

Above `touchline` and `ingest_api` in the import graph (tests/test_layers.py); only the command line, tests and
benchmarks import it.
"""

from __future__ import annotations

from generator.catalogue import CLICK_IDS
from generator.clock import DAY, HOUR, MIN, SEC, default_end, iso, parse_iso
from generator.command import add_arguments, run
from generator.dataset import Dataset, generate
from generator.outputs import load_raw, now_ms, post_http, write_jsonl, write_truth
from generator.truth import truth_format

__all__ = [
    "CLICK_IDS",
    "DAY",
    "HOUR",
    "MIN",
    "SEC",
    "Dataset",
    "add_arguments",
    "default_end",
    "generate",
    "iso",
    "load_raw",
    "now_ms",
    "parse_iso",
    "post_http",
    "run",
    "truth_format",
    "write_jsonl",
    "write_truth",
]
