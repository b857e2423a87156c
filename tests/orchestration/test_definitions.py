"""The code location loads, and a failing blocking check stops everything downstream (dbt included)."""

from dagster import AssetKey, DagsterInstance

from tests.orchestration.pipeline_helpers import event, insert_raw, reset


def test_definitions_load_with_every_asset_and_the_nightly_schedule(database_url):
    from orchestration.definitions import defs

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "raw/events",
        "core/raw_batch",
        "core/geo_lookup",
        "core/device_lookup",
        "core/events",
        "core/sessions",
        "core/identity_map",
        "core/user_profiles",
    } <= keys
    assert defs.resolve_schedule_def("nightly").cron_schedule == "0 2 * * *"
    assert defs.resolve_job_def("touchline_all") is not None


def _run(conn):
    from orchestration.definitions import defs

    job = defs.resolve_job_def("touchline_all")
    return job.execute_in_process(
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )


def test_failing_blocking_check_stops_every_downstream_asset(conn):
    """A blocking check guards the pipeline's own invariants: here a device lookup row that breaks them (as a
    defect of the parser would) stops the core build, profiles and every dbt model; no row is lost."""
    reset(conn)
    insert_raw(conn, [event("ok1", "page", 0, anon="d1"), event("ok2", "page", 1, anon="d1", ua="Odd/1.0")])
    conn.execute(
        "INSERT INTO core.device_lookup (user_agent, device_type, is_bot, is_server)"
        " VALUES ('Odd/1.0', 'toaster', false, false)"
    )
    result = _run(conn)
    assert not result.success
    materialized = {e.asset_key for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert AssetKey(["core", "device_lookup"]) in materialized
    upstream = {("core", "raw_batch"), ("core", "geo_lookup"), ("core", "device_lookup")}
    downstream = {k for k in materialized if tuple(k.path) not in upstream}
    assert downstream == set(), f"ran despite the failed check: {downstream}"
    assert conn.execute("SELECT count(*) FROM core.events").fetchone()[0] == 0
    # the raw rows are kept; fixing the defect lets the next run through
    conn.execute("DELETE FROM core.device_lookup WHERE user_agent = 'Odd/1.0'")
    result = _run(conn)
    assert result.success
    assert conn.execute("SELECT count(*) FROM core.events").fetchone()[0] == 2


def test_a_poison_row_is_quarantined_and_the_run_goes_on(conn):
    """The rows that used to halt every run (an unknown type, junk ids, a time after its sentAt) are
    quarantined or adjusted; every blocking check passes and the good rows reach the marts."""
    reset(conn)
    insert_raw(
        conn,
        [
            event("ok1", "page", 0, anon="d1"),
            event("bad1", "bogus_type", 1, anon="d1"),
            event("bad2", "track", 2, anon="undefined", user="null", name="Clicked"),
            event("late1", "page", 3, anon="d1", skew_min=6),
        ],
    )
    conn.execute("UPDATE raw.events SET sent_at = event_timestamp - interval '6 minutes' WHERE message_id = 'late1'")
    result = _run(conn)
    assert result.success
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert checks and all(c.passed for c in checks)
    assert dict(conn.execute("SELECT message_id, reason FROM core.quarantined_events")) == {
        "bad1": "unknown_type",
        "bad2": "no_usable_identifier",
    }
    assert (
        conn.execute("SELECT event_time_source FROM core.events WHERE message_id = 'late1'").fetchone()[0]
        == "clamped_future"
    )
    assert conn.execute("SELECT count(*) FROM marts.sessions").fetchone()[0] == 1


# The groups of the Dagster UI in the order data flows; an asset's group never comes before a parent's.
FLOW_GROUPS = ["raw", "enrichment", "core", "staging", "intermediate", "marts"]


def test_asset_groups_follow_the_flow_without_a_loop(database_url):
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert set(groups.values()) == set(FLOW_GROUPS)
    backwards = sorted(
        f"{parent.to_user_string()} ({groups[parent]}) -> {key.to_user_string()} ({group})"
        for key, group in groups.items()
        for parent in graph.get(key).parent_keys
        if FLOW_GROUPS.index(groups[parent]) > FLOW_GROUPS.index(group)
    )
    assert backwards == []
    assert groups[AssetKey(["core", "raw_batch"])] == "raw"


def test_every_asset_check_has_a_description(database_url):
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = graph.asset_check_keys
    assert len(keys) >= 10  # the GX suites of core and enrichment and the dbt tests
    undescribed = sorted(k.to_user_string() for k in keys if not (graph.get_check_spec(k).description or "").strip())
    assert undescribed == []


def test_a_failing_expectation_reads_as_its_name_column_count_and_examples(conn):
    """The failing check of a real run names the expectation that failed, its column, how many rows broke
    it and a few of their values, in its description and in a markdown table; passing ones say so."""
    reset(conn)
    insert_raw(
        conn, [event("ok1", "page", 0, anon="d1", ua="Odd/1.0"), event("ok2", "page", 1, anon="d1", ua="Odd/2.0")]
    )
    conn.execute(
        "INSERT INTO core.device_lookup (user_agent, device_type, is_bot, is_server)"
        " VALUES ('Odd/1.0', 'toaster', false, false), ('Odd/2.0', 'toaster', true, false)"
    )
    result = _run(conn)
    assert not result.success
    evaluations = {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    failed = evaluations["device_lookup_valid"]
    assert not failed.passed
    assert failed.description.startswith("2 of 3 expectations failed: ")
    assert "device_type in known set [device_type]: 2 unexpected, e.g. toaster" in failed.description
    assert (
        "bot flag agrees with device_type: 1 unexpected, e.g. user_agent=Odd/2.0, device_type=toaster, is_bot=True"
        in failed.description
    )
    assert failed.metadata["expectations"].value == 3 and failed.metadata["failed"].value == 2
    table = failed.metadata["failures"].value.splitlines()
    assert table[0] == "| expectation | column | unexpected | examples |"
    assert table[2].startswith("| device_type in known set | device_type | 2 | toaster")
    assert table[3].startswith("| bot flag agrees with device_type |  | 1 | user_agent=Odd/2.0")
    assert len(table) == 4
    passed = evaluations["geo_lookup_valid"]
    assert passed.passed and passed.description == "all 2 expectations passed"
    assert "failures" not in passed.metadata
    conn.execute("DELETE FROM core.device_lookup WHERE user_agent LIKE 'Odd/%'")
