"""In-process materialisation for `touchline materialize` (and the demo): one run of the asset job
with touchline's Dagster instance, so runs show up in the Dagster UI."""
from __future__ import annotations

import sys

from dagster import AssetSelection, DagsterInstance, Definitions, define_asset_job


def materialize_all(select: str | None = None, full_refresh: bool = False, instance: DagsterInstance | None = None,
                    out=sys.stdout, log_level: str = "WARNING") -> bool:
    from orchestration.definitions import defs

    run_config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if full_refresh:
        run_config["ops"] = {"core__raw_batch": {"config": {"full_refresh": True}},
                             "touchline_dbt_assets": {"config": {"full_refresh": True}}}
    if select:
        job_def = define_asset_job("touchline_selection", selection=AssetSelection.from_string(select))
        job = Definitions.merge(defs, Definitions(jobs=[job_def])).resolve_job_def("touchline_selection")
    else:
        job = defs.resolve_job_def("touchline_all")
    instance = instance or DagsterInstance.get()
    result = job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False)
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
    print(f"materialized {len(done)} assets; run {result.run_id[:8]} {'succeeded' if result.success else 'FAILED'}",
          file=out)
    for c in failed_checks:
        print(f"  failed check: {c}", file=out)
    for s in failed_steps:
        print(f"  failed step: {s}", file=out)
