"""core build against the generator's ground truth, incremental runs against a full rebuild."""

import datetime as dt
import itertools

import pytest

import generator
from orchestration.core import build
from tests.orchestration.pipeline_helpers import RAW_COLS, reset, run_core, snapshot

END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def dataset():
    return generator.generate(events=6000, seed=11, days=20, end=END)


def _load(conn, dataset):
    reset(conn)
    generator.load_raw(conn, dataset, "acc")


def test_every_session_and_user_matches_ground_truth(conn, dataset):
    _load(conn, dataset)
    run_core(conn)
    truth = dataset.truth["events"]  # messageId -> [session key (first messageId), user]
    first = dict(conn.execute("SELECT session_id, message_id FROM core.events WHERE session_event_sequence = 1"))
    got = {
        m: [first.get(s), u]
        for m, s, u in conn.execute("SELECT message_id, session_id, user_key FROM core.events WHERE NOT is_bot")
    }
    bots = {m for (m,) in conn.execute("SELECT message_id FROM core.events WHERE is_bot")}
    assert bots == set(dataset.truth["bots"])
    assert set(got) == set(truth)
    wrong_sessions = [m for m in truth if got[m][0] != truth[m][0]]
    wrong_users = [m for m in truth if got[m][1] != truth[m][1]]
    assert wrong_sessions == [] and wrong_users == []
    # server events (userId only) that joined their person's session in progress, and sessionless ones
    server = [truth[m][0] for (m,) in conn.execute("SELECT message_id FROM core.events WHERE anonymous_id IS NULL")]
    assert any(server) and None in server
    assert conn.execute("SELECT count(*) FROM core.sessions").fetchone()[0] == len(dataset.truth["sessions"])


def test_incremental_runs_with_late_and_duplicate_events_equal_full_refresh(conn, dataset):
    _load(conn, dataset)
    conn.execute("CREATE TEMP TABLE all_raw AS SELECT * FROM raw.events")
    conn.execute("TRUNCATE raw.events")
    cuts = next(
        r[0]
        for r in conn.execute(
            "SELECT percentile_disc(ARRAY[0.2, 0.45, 0.7, 0.9]) WITHIN GROUP (ORDER BY received_at) FROM all_raw"
        )
    )
    bounds = [dt.datetime(1970, 1, 1, tzinfo=dt.UTC), *cuts, dt.datetime(2100, 1, 1, tzinfo=dt.UTC)]
    from_cut = held_read = held_total = 0
    for lo, hi in itertools.pairwise(bounds):
        conn.execute(
            f"INSERT INTO raw.events ({RAW_COLS}) SELECT {RAW_COLS} FROM all_raw"
            " WHERE received_at >= %s AND received_at < %s",
            (lo, hi),
        )
        # a retried copy of some already-delivered events, received again later
        conn.execute(
            f"INSERT INTO raw.events ({RAW_COLS}) SELECT project_id, message_id, type, event, anonymous_id,"
            " user_id, previous_id, event_timestamp, sent_at, %s, ip, user_agent, key_prefix, payload"
            " FROM all_raw WHERE received_at < %s AND md5(message_id) LIKE '0%%'",
            (hi, lo),
        )
        stats = run_core(conn)
        from_cut += stats["devices_read_from_cut"]
        held_read += stats["held_events_read"]
        held_total += (
            conn.execute("SELECT count(*) FROM core.events WHERE NOT is_bot").fetchone()[0] - stats["new_events"]
        )
    # the runs read devices from their cut, not their whole history, and still equal the full rebuild below
    assert from_cut > 0 and held_read < held_total / 2
    late = conn.execute(
        "SELECT count(*) FROM all_raw WHERE received_at - event_timestamp > interval '1 day'"
    ).fetchone()[0]
    assert late > 0
    incremental = snapshot(conn)
    assert run_core(conn)["new_events"] == 0
    assert snapshot(conn) == incremental, "a rerun with no new data changed core"
    build.full_refresh(conn)
    run_core(conn)
    assert snapshot(conn) == incremental
