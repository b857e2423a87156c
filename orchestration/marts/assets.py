"""Every dbt model and seed is an asset, every dbt test an asset check (`dbt build`).

No `from __future__ import annotations` here: Dagster reads the config annotation at runtime.
"""

from dagster import AssetExecutionContext, AssetSelection, Config, define_asset_job
from dagster_dbt import DbtCliResource, dbt_assets
from pydantic import Field

from orchestration.marts.project import dbt_project, ensure_manifest
from orchestration.marts.translator import TouchlineTranslator

DBT_ASSETS_OP = "touchline_dbt_assets"


class DbtBuildConfig(Config):
    full_refresh: bool = Field(
        default=False, description="Rebuild the incremental marts from scratch (dbt build --full-refresh).")


# dbt unit tests check model logic on mocked inputs, not data: CI runs them (tests/dbt_project), the
# scheduled builds do not.
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]


def build_args(config: DbtBuildConfig) -> list[str]:
    return [*BUILD_ARGS, "--full-refresh"] if config.full_refresh else list(BUILD_ARGS)


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=TouchlineTranslator(),
    name=DBT_ASSETS_OP,
)
def touchline_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    yield from dbt.cli(build_args(config), context=context).stream()


# The same assets with `dbt build --full-refresh`.
dbt_full_refresh_job = define_asset_job(
    "dbt_full_refresh",
    selection=AssetSelection.assets(touchline_dbt_assets),
    config={"ops": {DBT_ASSETS_OP: {"config": {"full_refresh": True}}}},
    description="dbt build --full-refresh of every staging, intermediate and mart model (with tests).",
)
