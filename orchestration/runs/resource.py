"""The `run_lock` resource every core asset requires, and the sensor that reconciles dead runs."""

from __future__ import annotations

from contextlib import contextmanager

from dagster import (
    ConfigurableResource,
    DefaultSensorStatus,
    InitResourceContext,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from dagster._core.utils import make_new_run_id

from orchestration.resources import PostgresResource
from orchestration.runs import lock


class CoreRunLock(ConfigurableResource):
    """Holds the core build lock for the run (see orchestration/runs/lock.py). With the in-process
    executor the resource is set up once per run, so one lock spans every step of the run."""

    database_url: str
    wait_seconds: float = 600.0

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext):
        with lock.hold(self.database_url, context.run_id or make_new_run_id(), self.wait_seconds, context.instance):
            yield self


@sensor(
    name="reconcile_dead_runs",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Marks failed the runs whose process died (killed, crashed), so they never block the queue.",
)
def reconcile_dead_runs(context: SensorEvaluationContext, db: PostgresResource):
    # `db`, not `run_lock`: setting up run_lock would take the core build lock.
    with db.connect() as conn:
        conn.autocommit = True
        dead = lock.reconcile(conn, context.instance)
    return SkipReason(f"marked failed: {', '.join(d[:8] for d in dead)}" if dead else "no dead run")
