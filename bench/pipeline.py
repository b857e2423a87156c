"""Pipeline benchmark: N generated events bulk-loaded into raw, then enrichment + sessions + identity +
profiles (the core build) as a full run, then an incremental run over one new day.

    .venv/bin/python bench/pipeline.py [--events 1000000] [--days 30]

Prints wall times, peak memory (this process and the PostgreSQL backend), the incremental/full ratio,
a raw COPY of the same rows for scale, and accuracy against the generator's ground truth. Uses its own
database (`touchline_bench`) on the embedded server or DATABASE_URL's server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generator
from touchline import db, warehouse


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def backend_rss_mb(conn) -> float:
    pid = conn.info.backend_pid
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    url = db.libpq_url(db.with_database(db.server_url(), "touchline_bench"))
    db.drop_database(url)
    db.ensure_database(url)
    os.environ["DATABASE_URL"] = url
    from orchestration.core import build
    from orchestration.enrichment import lookups

    with db.connect(url, autocommit=True) as conn:
        warehouse.migrate(conn)
        end = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        t = time.perf_counter()
        data = generator.generate(events=args.events, seed=args.seed, days=args.days, end=end)
        t_gen = time.perf_counter() - t
        t = time.perf_counter()
        n = generator.load_raw(conn, data, "bench")
        t_load = time.perf_counter() - t
        print(f"generated {len(data.messages):,} in {t_gen:.1f} s, loaded {n:,} in {t_load:.1f} s", flush=True)
        # hold back the last day of receipts for the incremental run
        conn.execute(
            "CREATE TABLE public.held AS SELECT * FROM raw.events WHERE received_at >= %s",
            (end - dt.timedelta(days=1),),
        )
        conn.execute("DELETE FROM raw.events WHERE received_at >= %s", (end - dt.timedelta(days=1),))
        held = conn.execute("SELECT count(*) FROM public.held").fetchone()[0]
        conn.execute("VACUUM ANALYZE raw.events")

        def run() -> tuple[float, dict]:
            t0 = time.perf_counter()
            stats = build.stage_batch(conn)
            stats.update(lookups.refresh_geo(conn))
            stats.update(lookups.refresh_devices(conn))
            stats.update(build.build_core(conn))
            stats.update(build.build_profiles(conn))
            return time.perf_counter() - t0, stats

        t_full, s_full = run()
        print(f"full run: {t_full:.1f} s {s_full}", flush=True)
        conn.execute("INSERT INTO raw.events SELECT * FROM public.held")
        t_inc, s_inc = run()
        print(f"incremental run: {t_inc:.1f} s {s_inc}", flush=True)

        # accuracy against the ground truth
        truth = data.truth["events"]
        first = dict(conn.execute("SELECT session_id, message_id FROM core.events WHERE session_event_sequence = 1"))
        ok_s = ok_u = 0
        for m, s, u in conn.execute("SELECT message_id, session_id, user_key FROM core.events WHERE NOT is_bot"):
            exp = truth.get(m)
            if exp:
                ok_s += first.get(s) == exp[0]
                ok_u += u == exp[1]
        be_mb = backend_rss_mb(conn)

        # scale: a plain COPY of the same raw rows, in the same run
        conn.execute("CREATE TEMP TABLE copy_probe (LIKE raw.events)")
        t = time.perf_counter()
        with conn.cursor() as cur:
            buf = bytearray()
            with cur.copy("COPY (SELECT * FROM raw.events) TO STDOUT") as out:
                for chunk in out:
                    buf += chunk
            t = time.perf_counter()
            with cur.copy("COPY copy_probe FROM STDIN") as cp:
                cp.write(bytes(buf))
        t_copy = time.perf_counter() - t

    print(f"events generated            {len(data.messages):>12,}  ({t_gen:.1f} s)")
    print(f"raw rows bulk-loaded (COPY) {n:>12,}  ({t_load:.1f} s)")
    print(
        f"full run  (enrich+sessions+identity+profiles)  {t_full:7.1f} s   {s_full['new_events'] / t_full:,.0f} events/s"
    )
    print(f"incremental run over the last day ({held:,} rows) {t_inc:7.1f} s   = {t_inc / t_full:.1%} of the full run")
    print(
        f"  devices recomputed {s_inc['devices_recomputed']:,} ({s_inc['devices_read_from_cut']:,} from their cut),"
        f" held events re-read {s_inc['held_events_read']:,}, events written {s_inc['events_rewritten']:,}"
    )
    print(f"  steps of the full run (s): {s_full['seconds']}")
    print(f"  steps of the incremental run (s): {s_inc['seconds']}")
    print(
        f"plain COPY of the raw rows into a table        {t_copy:7.1f} s   (full run = {t_full / t_copy:.1f}x a COPY)"
    )
    print(f"peak memory: python {peak_rss_mb():,.0f} MB, PostgreSQL backend {be_mb:,.0f} MB")
    print(
        f"accuracy vs ground truth: sessions {ok_s / len(truth):.4%}, users {ok_u / len(truth):.4%} of {len(truth):,} events"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
