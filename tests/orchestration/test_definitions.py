"""The code location loads, and a failing blocking check stops everything downstream (dbt included)."""
from dagster import AssetKey, DagsterInstance

from tests.orchestration.pipeline_helpers import event, insert_raw, reset


def test_definitions_load_with_every_asset_and_the_nightly_schedule(database_url):
    from orchestration.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/events", "core/raw_batch", "core/geo_lookup", "core/device_lookup", "core/events",
            "core/sessions", "core/identity_map", "core/user_profiles"} <= keys
    assert defs.resolve_schedule_def("nightly").cron_schedule == "0 2 * * *"
    assert defs.resolve_job_def("touchline_all") is not None


def _run(conn):
    from orchestration.definitions import defs

    job = defs.resolve_job_def("touchline_all")
    return job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False,
                                  run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})


def test_failing_blocking_check_stops_every_downstream_asset(conn):
    reset(conn)
    insert_raw(conn, [event("ok1", "page", 0, anon="d1"), event("bad1", "bogus_type", 1, anon="d1")])
    result = _run(conn)
    assert not result.success
    materialized = {e.asset_key for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert AssetKey(["core", "raw_batch"]) in materialized
    downstream = {k for k in materialized if k.path[0] != "core" or k.path[1] not in ("raw_batch",)}
    assert downstream == set(), f"ran despite the failed check: {downstream}"
    assert conn.execute("SELECT count(*) FROM core.events").fetchone()[0] == 0
    # the raw rows are kept; fixing the data lets the next run through
    conn.execute("UPDATE raw.events SET type = 'track', event = 'Fixed' WHERE message_id = 'bad1'")
    result = _run(conn)
    assert result.success
    assert conn.execute("SELECT count(*) FROM core.events").fetchone()[0] == 2
