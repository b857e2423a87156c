"""The environment every Dagster and dbt process of touchline runs in.

`prepare()` resolves the database (starting the embedded one when DATABASE_URL is unset), writes
`DAGSTER_HOME/dagster.yaml` (run, event and schedule storage in PostgreSQL, database
`<data db>_dagster`, telemetry off) and exports what the code location and dbt read:
DATABASE_URL, TOUCHLINE_DAGSTER_PG_URL, the TOUCHLINE_PG_* variables of dbt's profile,
DO_NOT_TRACK and DAGSTER_HOME.
"""

from __future__ import annotations

import os

from touchline import db
from touchline.settings import get_settings

DAGSTER_YAML = """\
# Written by touchline (touchline/runtime.py): Dagster's storage in PostgreSQL, apart from the data.
storage:
  postgres:
    postgres_url:
      env: TOUCHLINE_DAGSTER_PG_URL
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
# Runs stuck starting or cancelling are failed by the daemon; a run whose process died is failed by
# touchline's reconcile_dead_runs sensor and by the next run (orchestration/runs/lock.py).
run_monitoring:
  enabled: true
  start_timeout_seconds: 300
  cancel_timeout_seconds: 300
  max_resume_run_attempts: 0
  poll_interval_seconds: 30
telemetry:
  enabled: false
"""


def quiet_env() -> None:
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"


def prepare() -> dict[str, str]:
    """Export the runtime environment into os.environ (children inherit it) and return it."""
    quiet_env()
    settings = get_settings()
    data = db.data_url(settings)
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    yaml_path = home / "dagster.yaml"
    if not yaml_path.exists() or yaml_path.read_text() != DAGSTER_YAML:
        yaml_path.write_text(DAGSTER_YAML)
    env = {
        "DATABASE_URL": data,
        "TOUCHLINE_DAGSTER_PG_URL": db.dagster_url(settings),
        "DAGSTER_HOME": str(home),
        **db.dbt_env(data),
    }
    os.environ.update(env)
    return env
