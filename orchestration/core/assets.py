"""core assets: the raw batch, the core build (events, sessions, identity) and profiles."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetOut,
    AssetSpec,
    Config,
    MaterializeResult,
    Output,
    asset,
    multi_asset,
)

from orchestration.core import build
from orchestration.resources import PostgresResource
from orchestration.runs import lock
from orchestration.runs.resource import CoreRunLock

RAW_EVENTS = AssetSpec(
    key=["raw", "events"],
    group_name="raw",
    kinds={"postgres"},
    description="Append-only events written by the ingest API (partitioned by month of received_at).",
)


class CoreRunConfig(Config):
    full_refresh: bool = False
    """Rebuild core from all of raw, replacing it in one transaction (gives the same tables as incremental runs)."""


# Groups in flow order, no loop (tests/orchestration/test_definitions.py): raw (raw.events and this run's batch
# of it) -> enrichment (lookups of the batch's distinct values) -> core -> dbt's staging -> intermediate -> marts.
@asset(
    key=["core", "raw_batch"],
    deps=[RAW_EVENTS],
    group_name="raw",
    kinds={"postgres"},
    description="The raw events this run processes: received since the watermark, in neither core.events nor "
    "the quarantine, one per (project, messageId), the earliest received copy; blocked identifier "
    "values taken as absent, rows the pipeline cannot take marked with a quarantine reason.",
)
def raw_batch(context: AssetExecutionContext, config: CoreRunConfig, db: PostgresResource, run_lock: CoreRunLock):
    with db.connect() as conn:
        stats = build.stage_batch(conn, full_refresh=config.full_refresh)
        lock.claim_batch(conn, context.run_id, config.full_refresh)
        conn.commit()
        if config.full_refresh:
            context.log.info("full refresh: all of raw staged; core_build replaces core in one transaction")
    return MaterializeResult(metadata=stats)


CORE_OUTPUTS = {
    "events": "One row per event: deduplicated, clock-corrected, enriched, classified, sessionized, stitched.",
    "sessions": "One row per session (bots excluded; cut from interactive events).",
    "identity_edges": "Explicit identity signals: anonymousId -> userId and alias previousId -> userId.",
    "user_aliases": "Alias closure: every merged user id to its canonical user id.",
    "identity_map": "Device -> user over time, [valid_from, valid_to).",
    "identity_merge_log": "Every change of who an id belongs to, with the event that caused it.",
    "quarantined_events": "Raw rows the pipeline cannot take (no usable identifier, unknown type, ...), with "
    "their reason; they never halt a run.",
    "data_quality_daily": "Per project and day of receipt: events, quarantined by reason, blocked identifiers "
    "by value, adjusted event times by kind, bots, server events.",
    "change_log": "Persons and sessions each build changed, for the dbt marts to recompute (issue 11).",
}


@multi_asset(
    outs={
        name: AssetOut(key=["core", name], description=desc, group_name="core", kinds={"postgres"})
        for name, desc in CORE_OUTPUTS.items()
    },
    deps=[AssetKey(["core", "raw_batch"]), AssetKey(["core", "geo_lookup"]), AssetKey(["core", "device_lookup"])],
    name="core_build",
    description="Recompute every device the batch touches, in one transaction, by the declared steps of "
    "orchestration/core/build.py (CORE_BUILD_STEPS).",
)
def core_build(context: AssetExecutionContext, db: PostgresResource, run_lock: CoreRunLock):
    with db.connect() as conn:
        stats = build.build_core(conn, full_refresh=lock.batch_is_full_refresh(conn, context.run_id))
    context.log.info(f"core build: {stats}")
    for name in CORE_OUTPUTS:
        yield Output(None, output_name=name, metadata=stats if name == "events" else {})


@asset(
    key=["core", "user_profiles"],
    deps=[AssetKey(["core", "events"]), AssetKey(["core", "sessions"]), AssetKey(["core", "user_aliases"])],
    group_name="core",
    kinds={"postgres"},
    description="One row per identified person, traits merged by the rules of identity/profile_rules.yaml.",
)
def user_profiles(context: AssetExecutionContext, db: PostgresResource, run_lock: CoreRunLock):
    with db.connect() as conn:
        stats = build.build_profiles(conn, full_refresh=lock.batch_is_full_refresh(conn, context.run_id))
    return MaterializeResult(metadata=stats)
