"""The dbt side of the code location: dbt models as assets, dbt tests as asset checks.

For `orchestration/definitions.py`:
    dbt_assets_list   the assets definitions (one multi-asset over the whole dbt project)
    resources()       {"dbt": dbt_resource()}
    jobs              [dbt_full_refresh_job]
The op of the dbt assets is `touchline_dbt_assets`; run config
{"ops": {"touchline_dbt_assets": {"config": {"full_refresh": True}}}} makes it `dbt build --full-refresh`.
"""

from __future__ import annotations

from dagster import EnvVar

from orchestration.marts.assets import DBT_ASSETS_OP, DbtBuildConfig, dbt_full_refresh_job, touchline_dbt_assets
from orchestration.marts.project import DBT_PROJECT_DIR, dbt_project, ensure_manifest
from orchestration.marts.resources import TouchlineDbtResource, dbt_env, dbt_resource
from orchestration.marts.translator import TouchlineTranslator

dbt_assets_list = [touchline_dbt_assets]
jobs = [dbt_full_refresh_job]


def resources() -> dict:
    """Resources the dbt assets need; the database URL comes from DATABASE_URL when it is set."""
    return {"dbt": dbt_resource()}


__all__ = [
    "DBT_ASSETS_OP",
    "DBT_PROJECT_DIR",
    "DbtBuildConfig",
    "EnvVar",
    "TouchlineDbtResource",
    "TouchlineTranslator",
    "dbt_assets_list",
    "dbt_env",
    "dbt_full_refresh_job",
    "dbt_project",
    "dbt_resource",
    "ensure_manifest",
    "jobs",
    "resources",
    "touchline_dbt_assets",
]
