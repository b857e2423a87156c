"""In-process materialisation for `touchline materialize` (and the demo): one run of the asset job
with touchline's Dagster instance, so runs show up in the Dagster UI.

The run takes the core build lock (orchestration/runs/lock.py) before Dagster starts it: a second run
waits up to TOUCHLINE_RUN_LOCK_WAIT_S seconds, then refuses in one line (`RunLockBusy`), and runs found
dead meanwhile are marked failed in the instance."""

from __future__ import annotations

import sys

from dagster import AssetSelection, DagsterInstance, Definitions, define_asset_job
from dagster._core.utils import make_new_run_id

from orchestration.runs import lock
from touchline import db
from touchline.settings import get_settings


def materialize_all(
    select: str | None = None,
    full_refresh: bool = False,
    instance: DagsterInstance | None = None,
    out=sys.stdout,
    log_level: str = "WARNING",
    wait_s: float | None = None,
) -> bool:
    """Run the job (or `select`); False when it failed. RunLockBusy when another core build holds the
    lock for longer than `wait_s` (default: the setting run_lock_wait_s)."""
    from orchestration.definitions import defs

    run_config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if select:
        job_def = define_asset_job("touchline_selection", selection=AssetSelection.from_string(select))
        job = Definitions.merge(defs, Definitions(jobs=[job_def])).resolve_job_def("touchline_selection")
    else:
        job = defs.resolve_job_def("touchline_all")
    if full_refresh:  # the nodes of the job that take a full_refresh flag
        run_config["ops"] = {
            op: {"config": {"full_refresh": True}}
            for op in ("core__raw_batch", "touchline_dbt_assets")
            if job.has_node_named(op)
        }
    instance = instance or DagsterInstance.get()
    run_id = make_new_run_id()
    wait_s = get_settings().run_lock_wait_s if wait_s is None else wait_s
    with lock.hold(db.data_url(), run_id, wait_s, instance):
        result = job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False, run_id=run_id)
    report(result, out)
    return result.success


def report(result, out=sys.stdout) -> None:
    done, failed_checks, failed_steps = [], [], []
    for ev in result.all_events:
        if ev.event_type_value == "ASSET_MATERIALIZATION":
            done.append(ev.asset_key.to_user_string())
        elif ev.event_type_value == "ASSET_CHECK_EVALUATION":
            data = ev.event_specific_data
            if not data.passed:
                failed_checks.append(f"{data.asset_key.to_user_string()}:{data.check_name}")
        elif ev.event_type_value == "STEP_FAILURE":
            failed_steps.append(ev.step_key)
    print(
        f"materialized {len(done)} assets; run {result.run_id[:8]} {'succeeded' if result.success else 'FAILED'}",
        file=out,
    )
    for c in failed_checks:
        print(f"  failed check: {c}", file=out)
    for s in failed_steps:
        print(f"  failed step: {s}", file=out)
