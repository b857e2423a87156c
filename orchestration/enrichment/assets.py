"""Enrichment lookups, one row per distinct value, grown with each batch."""

from dagster import AssetCheckResult, AssetExecutionContext, AssetKey, MaterializeResult, asset, asset_check

from orchestration.enrichment import devices, lookups
from orchestration.quality import gx
from orchestration.resources import EnrichmentResource, PostgresResource
from orchestration.runs import lock
from orchestration.runs.resource import CoreRunLock

RAW_BATCH = AssetKey(["core", "raw_batch"])


@asset(
    key=["core", "geo_lookup"],
    deps=[RAW_BATCH],
    group_name="enrichment",
    kinds={"python", "postgres"},
    description="Country, region, city, time zone and coordinates per distinct IP (geoip2); private and "
    "unknown addresses give nulls. Holds the /24 or /48 network that is all core keeps of an IP.",
)
def geo_lookup(
    context: AssetExecutionContext, db: PostgresResource, enrichment: EnrichmentResource, run_lock: CoreRunLock
):
    with db.connect() as conn:
        lock.batch_is_full_refresh(conn, context.run_id)  # never another live run's batch
        stats = lookups.refresh_geo(conn, enrichment.geoip_path)
    return MaterializeResult(metadata=stats)


@asset(
    key=["core", "device_lookup"],
    deps=[RAW_BATCH],
    group_name="enrichment",
    kinds={"python", "postgres"},
    description="Browser, OS, device type (desktop/mobile/tablet/bot/server/other), bot and server flags per "
    "distinct user agent (ua-parser with ua-parser-builtins; bots from crawlerdetect's list).",
)
def device_lookup(context: AssetExecutionContext, db: PostgresResource, run_lock: CoreRunLock):
    with db.connect() as conn:
        lock.batch_is_full_refresh(conn, context.run_id)  # never another live run's batch
        stats = lookups.refresh_devices(conn)
    return MaterializeResult(metadata=stats)


@asset_check(
    asset=device_lookup,
    blocking=True,
    description="device types are from the known set; bots are typed bot, server clients server",
)
def device_lookup_valid(db: PostgresResource) -> AssetCheckResult:
    return gx.check_result(
        gx.validate(
            db.sqlalchemy_url,
            "core",
            "device_lookup",
            [
                gx.in_set("device_type", list(devices.DEVICE_TYPES), "device_type in known set"),
                gx.rows(
                    "SELECT * FROM {batch} WHERE is_bot <> (device_type = 'bot')", "bot flag agrees with device_type"
                ),
                gx.rows(
                    "SELECT * FROM {batch} WHERE is_server <> (device_type = 'server')",
                    "server flag agrees with device_type",
                ),
            ],
        )
    )


@asset_check(asset=geo_lookup, blocking=True, description="country codes are ISO alpha-2; coordinates in range")
def geo_lookup_valid(db: PostgresResource) -> AssetCheckResult:
    return gx.check_result(
        gx.validate(
            db.sqlalchemy_url,
            "core",
            "geo_lookup",
            [
                gx.rows("SELECT * FROM {batch} WHERE country_code !~ '^[A-Z][A-Z]$'", "country_code is ISO alpha-2"),
                gx.rows(
                    "SELECT * FROM {batch} WHERE abs(latitude) > 90 OR abs(longitude) > 180", "coordinates in range"
                ),
            ],
        )
    )
