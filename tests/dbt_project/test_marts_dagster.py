"""The dbt project through Dagster: models are assets, tests are asset checks, lineage starts at core."""

from __future__ import annotations

import os

from conftest import run_dbt
from dagster import AssetKey, materialize

from orchestration.marts import (
    DBT_ASSETS_OP,
    dbt_assets_list,
    dbt_full_refresh_job,
    dbt_resource,
    resources,
    touchline_dbt_assets,
)
from orchestration.marts.project import reused_partial_parse

CORE = {
    AssetKey(["core", t])
    for t in ("events", "sessions", "user_profiles", "identity_map", "user_aliases", "change_log", "data_quality_daily")
}
SINGULAR = {
    "assert_attribution_converting_session_once",
    "assert_attribution_credits_sum_to_one",
    "assert_every_conversion_attributed_under_every_model",
    "assert_conversions_have_exchange_rate",
}
MARTS = {
    AssetKey(["marts", m])
    for m in ("sessions", "users", "conversions", "attribution", "retention_cohorts", "session_summary_daily")
}


def test_assets_keys_groups_and_lineage():
    assert dbt_assets_list == [touchline_dbt_assets]
    keys = set(touchline_dbt_assets.keys)
    assert keys >= MARTS
    assert AssetKey(["staging", "stg_core__events"]) in keys
    assert AssetKey(["intermediate", "int_sessions_classified"]) in keys
    groups = {k: touchline_dbt_assets.group_names_by_key[k] for k in keys}
    assert {groups[k] for k in MARTS} == {"marts"}
    assert groups[AssetKey(["staging", "stg_core__sessions"])] == "staging"
    assert groups[AssetKey(["intermediate", "int_events_filtered_to_conversions"])] == "intermediate"
    # dbt sources are the core assets written by orchestration's Python
    external = {k for k in touchline_dbt_assets.dependency_keys if k not in keys}
    assert external == CORE
    deps = touchline_dbt_assets.asset_deps
    assert AssetKey(["core", "sessions"]) in deps[AssetKey(["staging", "stg_core__sessions"])]
    # dbt tests are asset checks
    checks = {(c.asset_key, c.name) for c in touchline_dbt_assets.check_specs}
    assert (AssetKey(["marts", "attribution"]), "not_null_columns_attribution") in checks
    assert any(k == AssetKey(["marts", "conversions"]) and "relationships" in n for k, n in checks)
    assert len(checks) >= 25
    # every dbt test is a check, the singular ones included, and every check says what it checks
    assert {n for _, n in checks} >= SINGULAR
    assert {k for k, n in checks if n in SINGULAR} == {
        AssetKey(["marts", "attribution"]),
        AssetKey(["marts", "conversions"]),
    }
    specs = list(touchline_dbt_assets.check_specs)
    assert [s.name for s in specs if not s.description] == []
    by_name = {s.name: s for s in specs}
    assert "reporting revenue" in by_name["assert_attribution_credits_sum_to_one"].description
    assert by_name["not_null_columns_sessions"].description.startswith("No null in the session's keys")
    # the missing-rate check warns, it does not block
    assert by_name["assert_conversions_have_exchange_rate"].blocking is False
    assert by_name["assert_attribution_credits_sum_to_one"].blocking is True
    assert set(resources()) == {"dbt"}
    assert dbt_full_refresh_job.name == "dbt_full_refresh"
    assert touchline_dbt_assets.op.name == DBT_ASSETS_OP


def test_materialize_through_dagster(built_b):
    url = built_b[0]
    saved = {
        k: os.environ.get(k)
        for k in (
            "TOUCHLINE_PG_HOST",
            "TOUCHLINE_PG_PORT",
            "TOUCHLINE_PG_USER",
            "TOUCHLINE_PG_PASSWORD",
            "TOUCHLINE_PG_DBNAME",
            "PGTZ",
        )
    }
    try:
        result = materialize(
            [touchline_dbt_assets],
            resources={"dbt": dbt_resource(url)},
            run_config={"ops": {DBT_ASSETS_OP: {"config": {"full_refresh": False}}}},
        )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized >= MARTS
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert len(evaluations) >= 25
    assert all(ev.passed for ev in evaluations)


def test_each_dbt_invocation_reuses_the_previous_partial_parse(marts_db_url, tmp_path):
    """dagster-dbt gives every invocation a folder of its own; the asset hands it the partial-parse file
    the previous invocation left, so dbt does not parse the whole project again."""
    saved = tmp_path / "saved.msgpack"
    with reused_partial_parse(tmp_path / "run1", saved=saved) as target:
        first = run_dbt(marts_db_url, "parse", target_path=target)
    assert "Unable to do partial parsing" in first.stdout  # nothing to start from
    assert saved.exists()
    with reused_partial_parse(tmp_path / "run2", saved=saved) as target:
        second = run_dbt(marts_db_url, "parse", target_path=target)
    assert "Unable to do partial parsing" not in second.stdout, second.stdout
    # without it, a fresh folder parses everything (what every Dagster run did before)
    third = run_dbt(marts_db_url, "parse", target_path=tmp_path / "run3")
    assert "Starting full parse" in third.stdout
