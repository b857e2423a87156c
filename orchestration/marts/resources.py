"""The dbt CLI resource: dagster-dbt's DbtCliResource plus where the data database is."""

from __future__ import annotations

import os

from dagster import EnvVar, InitResourceContext
from dagster_dbt import DbtCliResource
from pydantic import Field

from orchestration.marts.project import DBT_EXECUTABLE, dbt_project
from touchline import db

# Environment every dbt subprocess gets besides the connection (profiles.yml reads TOUCHLINE_PG_*).
DBT_BASE_ENV = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PGTZ": "UTC"}


def dbt_env(database_url: str | None = None) -> dict[str, str]:
    """The variables a dbt process needs to reach `database_url` (default: the data database)."""
    return {**DBT_BASE_ENV, **db.dbt_env(database_url)}


class TouchlineDbtResource(DbtCliResource):
    """DbtCliResource whose dbt subprocesses reach the data database.

    DbtCliResource hands its own process environment to dbt, so when the resource is set up for a run
    the TOUCHLINE_PG_* variables of `database_url` (default: touchline's data database, embedded or
    DATABASE_URL) are put into the run worker's environment.
    """

    database_url: str | None = Field(default=None, description="Data database URL; empty: touchline.db.data_url().")

    def connection_env(self) -> dict[str, str]:
        return dbt_env(self.database_url or None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        super().setup_for_execution(context)
        os.environ.update(self.connection_env())


def dbt_resource(database_url: str | EnvVar | None = None) -> TouchlineDbtResource:
    """The `dbt` resource. Give it a URL (or EnvVar("DATABASE_URL")); none: touchline's data database."""
    return TouchlineDbtResource(
        project_dir=dbt_project,
        database_url=database_url,
        dbt_executable=DBT_EXECUTABLE,
        global_config_flags=["--no-use-colors", "--no-send-anonymous-usage-stats"],
    )
