"""The dbt resource: dagster-dbt's DbtCliResource, run in the run worker's process, reaching the data database."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from dagster import AssetExecutionContext, EnvVar, InitResourceContext, OpExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource
from dagster_dbt.asset_utils import extract_runtime_selection_from_args, get_updated_cli_invocation_params_for_context
from dagster_dbt.compat import DBT_PYTHON_VERSION
from dagster_dbt.dbt_manifest import DbtManifestParam, validate_manifest
from pydantic import Field

from orchestration.marts.project import DBT_EXECUTABLE, dbt_project
from orchestration.marts.runner import InProcessDbtInvocation, in_process_args
from touchline import db

# Environment every dbt invocation gets besides the connection (profiles.yml reads TOUCHLINE_PG_*).
DBT_BASE_ENV = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PGTZ": "UTC"}


def dbt_env(database_url: str | None = None) -> dict[str, str]:
    """The variables a dbt process needs to reach `database_url` (default: the data database)."""
    return {**DBT_BASE_ENV, **db.dbt_env(database_url)}


class TouchlineDbtResource(DbtCliResource):
    """DbtCliResource whose dbt runs in this process (orchestration/marts/runner.py, D15) against the data database.

    dbt reads its connection from the environment (profiles.yml), so when the resource is set up for a run
    the TOUCHLINE_PG_* variables of `database_url` (default: touchline's data database, embedded or
    DATABASE_URL) are put into the run worker's environment.
    """

    database_url: str | None = Field(default=None, description="Data database URL; empty: touchline.db.data_url().")

    def connection_env(self) -> dict[str, str]:
        return dbt_env(self.database_url or None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        super().setup_for_execution(context)
        os.environ.update(self.connection_env())

    def cli(
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: DbtManifestParam | None = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: OpExecutionContext | AssetExecutionContext | None = None,
        target_path: Path | None = None,
    ) -> InProcessDbtInvocation:
        """`DbtCliResource.cli` with dbt in this process: the same selection of the context's assets and
        checks, the same arguments, the same streamed events; what dagster-dbt passes a dbt process in its
        environment is passed as options (no adapter handle: row counts and column metadata are not fetched), and
        the dbt version is this process's."""
        translator = dagster_dbt_translator or DagsterDbtTranslator()
        cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest=validate_manifest(manifest) if manifest else {},
            dagster_dbt_translator=translator,
            runtime_selects=selects,
            runtime_excludes=excludes,
        )
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        target_path = target_path or self._get_unique_target_path(context=context)
        if not target_path.is_absolute():
            target_path = project_dir / target_path
        profile_args = [
            *(["--profile", self.profile] if self.profile else []),
            *(["--target", self.target] if self.target else []),
        ]
        indirect = ["--indirect-selection", params.indirect_selection] if params.indirect_selection else []
        dbt_args = in_process_args(
            [*self.global_config_flags, *cleaned_args, *profile_args, *params.selection_args, *indirect],
            project_dir=project_dir,
            profiles_dir=Path(self.profiles_dir) if self.profiles_dir else None,
            target_path=target_path,
        )
        return InProcessDbtInvocation.start(
            dbt_args,
            manifest=params.manifest,
            dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir,
            target_path=target_path,
            raise_on_error=raise_on_error,
            context=context,
            adapter=None,
            cli_version=DBT_PYTHON_VERSION,  # the dbt of this process (DbtCliResource runs `dbt --version`: seconds)
            project=params.dbt_project,
        )


def dbt_resource(database_url: str | EnvVar | None = None) -> TouchlineDbtResource:
    """The `dbt` resource. Give it a URL (or EnvVar("DATABASE_URL")); none: touchline's data database."""
    return TouchlineDbtResource(
        project_dir=dbt_project,
        database_url=database_url,
        dbt_executable=DBT_EXECUTABLE,
        global_config_flags=["--no-use-colors", "--no-send-anonymous-usage-stats"],
    )
