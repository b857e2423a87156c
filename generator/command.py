"""`touchline generate`: its arguments and what it does with them."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from generator.clock import parse_iso
from generator.dataset import generate
from generator.outputs import load_raw, post_http, write_jsonl, write_truth


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Synthetic traffic of a web shop (visitors on several devices, campaigns, search/social/email/"
        "referral/direct, sign-ups, logins, a shared device, aliases, orders, bots, clock skew, retried "
        "duplicates, late and malformed events), deterministic for a seed, with ground truth written beside it."
    )
    parser.add_argument("--events", type=int, default=50_000, help="approximate number of messages (default 50000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--days", type=int, default=30, help="days of history (default 30)")
    parser.add_argument("--end", default=None, help="end of the simulated period, ISO 8601 (default today 00:00 UTC)")
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", metavar="FILE.jsonl", help="write one Segment message per line")
    out.add_argument("--post", metavar="URL", help="POST to URL/v1/batch in Segment's batch format (needs --key)")
    out.add_argument(
        "--load-raw",
        action="store_true",
        help="load into raw.events through ingest's own preparation, by COPY (benchmarks; needs --project)",
    )
    parser.add_argument("--key", help="write key for --post (HTTP Basic user name)")
    parser.add_argument("--batch-size", type=int, default=100, help="messages per request with --post (default 100)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight with --post (default 4)")
    parser.add_argument("--project", help="project id for --load-raw")
    parser.add_argument(
        "--truth",
        metavar="FILE.json",
        help="where to write the ground truth (default beside --out, else .touchline/truth-<seed>.json)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    if args.post and not args.key:
        print("touchline generate: --post needs --key WRITE_KEY", file=sys.stderr)
        return 2
    if args.load_raw and not args.project:
        print("touchline generate: --load-raw needs --project PROJECT_ID", file=sys.stderr)
        return 2
    if args.events < 1 or args.days < 1:
        print("touchline generate: --events and --days must be positive", file=sys.stderr)
        return 2
    try:
        end = parse_iso(args.end) if args.end else None
    except ValueError:
        print(f"touchline generate: --end {args.end!r} is not an ISO 8601 date or time", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    ds = generate(events=args.events, seed=args.seed, days=args.days, end=end)
    c = ds.truth["counts"]
    print(
        f"generated {c['messages']} messages ({c['human_events']} human events in {c['sessions']} sessions, "
        f"{c['bot_events']} bot events, {c['duplicate_copies']} duplicate copies, {c['late']} late, "
        f"{c['malformed']} malformed) in {time.perf_counter() - t0:.1f}s",
        file=sys.stderr,
    )
    if args.truth:
        truth_path = Path(args.truth)
    elif args.out:
        o = Path(args.out)
        truth_path = o.with_name(o.name.removesuffix(".jsonl") + ".truth.json")
    else:
        from touchline.settings import get_settings

        truth_path = get_settings().home / f"truth-{args.seed}.json"
    if args.out:
        n = write_jsonl(ds, args.out)
        print(f"wrote {n} lines to {args.out}")
    elif args.post:
        stats = post_http(ds, args.post, args.key, args.batch_size, args.concurrency, progress=not args.no_progress)
        print(
            f"posted {stats['messages']} messages and {stats['malformed']} malformed items in {stats['requests']} "
            f"requests, {stats['seconds']}s ({stats['events_per_second']} events/s), {stats['retries']} retries, "
            f"{stats['failed_requests']} failed"
        )
        for e in stats["errors"]:
            print(f"  {e}", file=sys.stderr)
        if stats["failed_requests"]:
            write_truth(ds, truth_path)
            return 1
    else:
        from touchline import db

        t1 = time.perf_counter()
        with db.connect() as conn:
            exists = conn.execute("SELECT 1 FROM ops.projects WHERE project_id = %s", (args.project,)).fetchone()
            if not exists:
                print(f"note: project {args.project!r} is not in ops.projects", file=sys.stderr)
            n = load_raw(conn, ds, args.project)
        print(f"loaded {n} rows into raw.events in {time.perf_counter() - t1:.1f}s")
    write_truth(ds, truth_path)
    print(f"ground truth: {truth_path}")
    return 0
