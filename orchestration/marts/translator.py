"""How dbt nodes become Dagster assets: one translator for the whole project."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetCheckSpec, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings
from dagster_shared.record import replace

from touchline.warehouse import DBT_SCHEMAS as DBT_GROUPS  # a dbt node's group is its schema


class TouchlineTranslator(DagsterDbtTranslator):
    """dbt source core.<table> -> AssetKey(["core", <table>]) (the assets orchestration's Python
    writes), so dbt lineage starts at them; dbt model/seed -> AssetKey([<schema>, <name>]) with
    group = its schema (staging, intermediate, marts) unless its meta.dagster.group says otherwise. Every dbt test is an asset check (singular
    tests name their asset with config meta dagster.ref) with a description: the test's
    meta.description, else one derived from the generic test, its model and column."""

    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None):
        super().__init__(settings or DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The node's meta.dagster.group where a model that reads a later layer must sit after it (the
        groups stay in flow order), else its schema."""
        group = (dbt_resource_props.get("meta") or {}).get("dagster", {}).get("group")
        if group in DBT_GROUPS:
            return group
        schema = dbt_resource_props.get("schema")
        return schema if schema in DBT_GROUPS else "marts"

    def get_asset_check_spec(
        self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return replace(spec, description=describe_test(manifest["nodes"][unique_id], asset_spec.key))


def describe_test(test: Mapping[str, Any], asset_key: AssetKey) -> str:
    """A sentence for a dbt test without meta.description: the generic test, its arguments, model and column."""
    meta = test.get("test_metadata") or {}
    name = meta.get("name") or test["name"]
    kwargs = {k: v for k, v in (meta.get("kwargs") or {}).items() if k not in ("model", "column_name")}
    column = test.get("column_name")
    target = asset_key.to_user_string() + (f".{column}" if column else "")
    args = ", ".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    severity = (test.get("config") or {}).get("severity", "error").lower()
    return (
        f"dbt test {name} on {target}"
        + (f" ({args})" if args else "")
        + ("; a failure blocks downstream assets" if severity == "error" else "; a warning only")
    )
