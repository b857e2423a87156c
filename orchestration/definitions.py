"""The Dagster code location of touchline: assets, checks, resources, jobs and the nightly schedule."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    EnvVar,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from orchestration import marts
from orchestration.core import assets as core_assets
from orchestration.core import checks as core_checks
from orchestration.enrichment import assets as enrichment_assets
from orchestration.resources import EnrichmentResource, PostgresResource
from orchestration.runs.resource import CoreRunLock, reconcile_dead_runs
from touchline.settings import get_settings

_assets = [core_assets.RAW_EVENTS, *load_assets_from_modules([core_assets, enrichment_assets]), *marts.dbt_assets_list]
_checks = load_asset_checks_from_modules([core_checks, enrichment_assets])
_resources = {
    "db": PostgresResource(database_url=EnvVar("DATABASE_URL")),
    "enrichment": EnrichmentResource(geoip_db=str(get_settings().geoip_db or "")),
    "run_lock": CoreRunLock(database_url=EnvVar("DATABASE_URL"), wait_seconds=get_settings().run_lock_wait_s),
    **marts.resources(),
}

all_assets_job = define_asset_job(
    "touchline_all",
    selection=AssetSelection.all() - AssetSelection.keys(["raw", "events"]),
    description="Every asset: new raw events through core to the dbt marts; failing blocking checks stop downstream.",
)
full_refresh_job = define_asset_job(
    "touchline_full_refresh",
    selection=AssetSelection.all() - AssetSelection.keys(["raw", "events"]),
    config={
        "ops": {
            "core__raw_batch": {"config": {"full_refresh": True}},
            "touchline_dbt_assets": {"config": {"full_refresh": True}},
        }
    },
    description="Empty core and rebuild everything from raw (equals the incremental result).",
)
nightly = ScheduleDefinition(
    name="nightly",
    job=all_assets_job,
    cron_schedule=get_settings().schedule_cron,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING if get_settings().schedule_enabled else DefaultScheduleStatus.STOPPED,
)

defs = Definitions(
    assets=_assets,
    asset_checks=_checks,
    resources=_resources,
    jobs=[all_assets_job, full_refresh_job, *marts.jobs],
    schedules=[nightly],
    sensors=[reconcile_dead_runs],
    # One process per run: the run_lock resource is set up once, so the core build lock spans the run.
    executor=in_process_executor,
)
