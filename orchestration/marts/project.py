"""The dbt project (`dbt_project/` of the checkout) and its manifest.

Loading the code location needs `dbt_project/target/manifest.json`. `dagster dev` re-parses on every
load; anywhere else the manifest is (re)built by `dbt parse` when it is
missing or older than a file of the project. `dbt parse` needs no database: profiles.yml has
defaults for every connection variable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from touchline.settings import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
_SOURCE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}
_SOURCE_DIRS = ("models", "macros", "seeds", "tests", "analyses")

# The dbt of this environment, even when its bin folder is not on PATH; run through `touchline-dbt`
# (touchline/child.py) so that dbt dies with the run worker that started it.
_DBT_CHILD = Path(sys.executable).with_name("touchline-dbt")
DBT_EXECUTABLE = (
    str(_DBT_CHILD) if _DBT_CHILD.exists() else shutil.which("dbt") or str(Path(sys.executable).with_name("dbt"))
)

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target="default")


def _newest_source_mtime(project_dir: Path) -> float:
    newest = max((project_dir / name).stat().st_mtime for name in ("dbt_project.yml", "profiles.yml"))
    for folder in _SOURCE_DIRS:
        for path in (project_dir / folder).rglob("*"):
            if path.suffix in _SOURCE_SUFFIXES:
                newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    manifest = project.manifest_path
    return not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project.project_dir)


def dbt_command(
    *args: str,
    target_path: Path,
    log_path: Path | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
    executable: str = DBT_EXECUTABLE,
) -> list[str]:
    """The dbt command line of a run outside Dagster's dbt resource (the manifest's parse, the tests, the
    benchmark): `args` (global flags, then the command and its options) on the project in `project_dir`,
    whose profiles.yml sits beside it, writing into `target_path` (and its logs into `log_path`)."""
    logs = ["--log-path", str(log_path)] if log_path else []
    return [
        executable,
        "--no-use-colors",
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target_path),
        *logs,
    ]


def parse(project: DbtProject = dbt_project) -> None:
    """`dbt parse` into the project's target path (no database connection)."""
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        dbt_command(
            "--quiet", "parse", project_dir=project.project_dir, target_path=project.project_dir / project.target_path
        ),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(project.project_dir),
    )
    if proc.returncode != 0 or not project.manifest_path.exists():
        raise RuntimeError(f"dbt parse failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")


# The partial-parse state of the last dbt invocation the assets ran (dagster-dbt gives each invocation a
# target folder of its own, where dbt would find none and parse the whole project again).
RUN_PARTIAL_PARSE = "run_partial_parse.msgpack"


@contextmanager
def reused_partial_parse(target_path: Path, saved: Path | None = None) -> Iterator[Path]:
    """Around one dbt invocation in `target_path`: hand it the partial-parse file the previous invocation
    left (dbt checks it against the project, its vars and the profile's variables, and parses what
    changed, or everything), and keep the one it leaves for the next. The file is replaced atomically,
    so concurrent invocations at worst parse again. `saved`: where it is kept (default: the project's
    target folder)."""
    saved = saved or dbt_project.project_dir / dbt_project.target_path / RUN_PARTIAL_PARSE
    target_path.mkdir(parents=True, exist_ok=True)
    if saved.exists():
        shutil.copyfile(saved, target_path / "partial_parse.msgpack")
    try:
        yield target_path
    finally:
        left = target_path / "partial_parse.msgpack"
        if left.exists():
            saved.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=saved.parent, prefix=".partial_parse.")
            os.close(fd)
            shutil.copyfile(left, tmp)
            os.replace(tmp, saved)


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Return the path of an up-to-date manifest.json, running `dbt parse` under `dagster dev` or
    when the manifest is missing or older than a file of the project."""
    if using_dagster_dev() or manifest_is_stale(project):
        parse(project)
    return project.manifest_path
