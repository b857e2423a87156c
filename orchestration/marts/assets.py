"""Every dbt model and seed is an asset, every dbt test an asset check (`dbt build`).

No `from __future__ import annotations` here: Dagster reads the config annotation at runtime.
"""

from uuid import uuid4

from dagster import AssetExecutionContext, AssetSelection, Config, define_asset_job
from dagster_dbt import DbtCliResource, dbt_assets
from pydantic import Field

from orchestration.marts.project import dbt_project, ensure_manifest, reused_partial_parse
from orchestration.marts.translator import TouchlineTranslator

DBT_ASSETS_OP = "touchline_dbt_assets"


class DbtBuildConfig(Config):
    full_refresh: bool = Field(
        default=False, description="Rebuild the incremental marts from scratch (dbt build --full-refresh)."
    )


# dbt unit tests check model logic on mocked inputs, not data: CI runs them (tests/dbt_project), the
# scheduled builds do not. --no-write-json: no manifest.json (written twice, about half a second a
# build) nor run_results.json in the invocation's folder; Dagster reads dbt's event stream, and dbt.log
# stays there.
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test", "--no-write-json"]


def build_args(config: DbtBuildConfig) -> list[str]:
    return [*BUILD_ARGS, "--full-refresh"] if config.full_refresh else list(BUILD_ARGS)


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=TouchlineTranslator(),
    name=DBT_ASSETS_OP,
)
def touchline_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    # a target folder per invocation (dagster-dbt's default naming), with the previous one's partial parse
    target = (
        dbt_project.project_dir
        / dbt_project.target_path
        / f"{DBT_ASSETS_OP}-{context.run.run_id[:7]}-{uuid4().hex[:7]}"
    )
    with reused_partial_parse(target):
        yield from dbt.cli(build_args(config), context=context, target_path=target).stream()


# The same assets with `dbt build --full-refresh`.
dbt_full_refresh_job = define_asset_job(
    "dbt_full_refresh",
    selection=AssetSelection.assets(touchline_dbt_assets),
    config={"ops": {DBT_ASSETS_OP: {"config": {"full_refresh": True}}}},
    description="dbt build --full-refresh of every staging, intermediate and mart model (with tests).",
)
