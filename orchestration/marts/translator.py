"""How dbt nodes become Dagster assets: one translator for the whole project."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

DBT_GROUPS = ("staging", "intermediate", "marts")


class TouchlineTranslator(DagsterDbtTranslator):
    """dbt source core.<table> -> AssetKey(["core", <table>]) (the assets orchestration's Python
    writes), so dbt lineage starts at them; dbt model/seed -> AssetKey([<schema>, <name>]) with
    group = its schema (staging, intermediate, marts). dbt tests are asset checks."""

    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None):
        super().__init__(settings or DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        schema = dbt_resource_props.get("schema")
        return schema if schema in DBT_GROUPS else "marts"
