"""Typed rows in the ingest writer (issue 14 point 6): the one-statement write of a small group as it is
now (`queries/write_small_group.sql`: positions and columns filled in from ingest_api/rows.py, types from
a cast to raw.events) against the hand-written statement of before typed rows (kept here as the
baseline), alternating in the same run.

    .venv/bin/python bench/ingest_rows.py [--rows 200] [--rounds 40]

Each round writes `--rows` fresh generated events (a new project id, so every key is new) once each way
(taking turns at going first), in one transaction each, on the embedded PostgreSQL or DATABASE_URL, and deletes them. Prints the median
time per group of each way (the Python serialisation and the statement) and their ratio. Run it on a quiet
machine; the ratio is what to compare, both ways share the machine's noise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generator
from ingest_api.events import Capture, Limits, prepare
from ingest_api.queries import sql
from touchline import db, warehouse

POSITIONAL_SQL = """
WITH input AS (
    SELECT r->>0 AS project_id, r->>1 AS message_id, r->>2 AS type, r->>3 AS event,
           r->>4 AS anonymous_id, r->>5 AS user_id, r->>6 AS previous_id,
           (r->>7)::timestamptz AS event_timestamp, (r->>8)::timestamptz AS sent_at,
           (r->>9)::timestamptz AS received_at, (r->>10)::inet AS ip, r->>11 AS user_agent,
           r->>12 AS key_prefix, r->13 AS payload
    FROM jsonb_array_elements(%(events)s::jsonb) AS r
), claimed AS (
    INSERT INTO raw.event_keys (project_id, message_id, received_at)
    SELECT project_id, message_id, received_at FROM input
    ON CONFLICT DO NOTHING
    RETURNING project_id, message_id
), stored AS (
    INSERT INTO raw.events (project_id, message_id, type, event, anonymous_id, user_id, previous_id,
                            event_timestamp, sent_at, received_at, ip, user_agent, key_prefix, payload)
    SELECT i.* FROM input AS i JOIN claimed AS c USING (project_id, message_id)
)
INSERT INTO raw.rejected_events (project_id, received_at, reason, key_prefix, payload)
SELECT r->>0, (r->>1)::timestamptz, r->>2, r->>3, r->>4
FROM jsonb_array_elements(%(rejected)s::jsonb) AS r
"""


def positional(rows) -> dict:
    return {"events": orjson.dumps([row[:13] + (orjson.Fragment(row[13]),) for row in rows]).decode(), "rejected": "[]"}


def typed(rows) -> dict:  # as ingest_api/writer.py sends them
    return {
        "events": orjson.dumps([row[:-1] + (orjson.Fragment(row.payload),) for row in rows]).decode(),
        "rejected": "[]",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    data = generator.generate(events=max(2000, args.rows * 2), seed=1, end="2024-06-01T00:00:00Z")
    limits = Limits(500_000, 32_000, 64, 2500)
    ways = {
        "hand-written (before)": (POSITIONAL_SQL, positional),
        "from typed rows (now)": (sql("write_small_group"), typed),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    with db.connect() as conn:
        warehouse.migrate(conn)
        conn.execute("SELECT raw.ensure_event_partitions(%s, 1)", (dt.date(2024, 5, 1),))
        conn.commit()
        for k in range(args.rounds):
            order = list(ways.items()) if k % 2 == 0 else list(ways.items())[::-1]  # neither always goes first
            for j, (name, (statement, params)) in enumerate(order):
                project = f"bench_rows_{k}_{j}"
                capture = Capture(project, "sk_test_bench", dt.datetime(2024, 5, 20, tzinfo=dt.UTC), None, None)
                rows = prepare([dict(m) for m in data.messages[: args.rows]], capture, limits).rows
                t0 = time.perf_counter()
                with conn.transaction():
                    conn.execute(statement, params(rows))
                times[name].append(time.perf_counter() - t0)
        stored = conn.execute("SELECT count(*) FROM raw.events WHERE project_id LIKE 'bench_rows_%'").fetchone()[0]
        conn.execute("DELETE FROM raw.events WHERE project_id LIKE 'bench_rows_%'")
        conn.execute("DELETE FROM raw.event_keys WHERE project_id LIKE 'bench_rows_%'")
        conn.commit()
    print(f"small-group write of {args.rows} events, median of {args.rounds} rounds ({stored:,} rows stored):")
    med = {name: statistics.median(t) for name, t in times.items()}
    for name, m in med.items():
        print(f"  {name:<28} {m * 1000:8.2f} ms per group   {args.rows / m:10,.0f} events/s")
    before, now = med.values()
    print(f"ratio now / before (time): {now / before:.2f}")


if __name__ == "__main__":
    main()
