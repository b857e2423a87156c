"""What the dbt project's Jinja uses beyond sqlfluff's dbt builtins, so that sqlfluff renders every model
without dbt or a database (`.sqlfluff`: library_path; these names take precedence over the builtins).

`var` gives the real values of dbt_project.yml, `config` is both `config(...)` and `config.get(...)`, and
`run_query` answers false, `adapter.quote` quotes, and `dbt.*` are the cross-database macros the models call, rendered as dbt-postgres renders them.
"""

from pathlib import Path

import yaml

_VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml").read_text())["vars"]

invocation_id = "00000000-0000-0000-0000-000000000000"
execute = True
project_name = "touchline"
graph = {"nodes": {}}  # no nodes: test_scope_and() renders nothing, as in a full build
model = {}  # the node being rendered: change_log_reset() keeps its answer (run_query's, always false) in it


def var(name, default=None):
    return _VARS.get(name, default)


class _Result:
    """run_query's answer: one column whose first value is false (the models render their incremental,
    change-log path: is_incremental() is true in sqlfluff's builtins)."""

    class _Column:
        @staticmethod
        def values():
            return [False]

    columns = (_Column(),)


def run_query(sql):
    return _Result()


class _Config:
    def __call__(self, *args, **kwargs):
        return ""

    def get(self, name, default=None):
        return default


class _CrossDatabase:
    @staticmethod
    def date_trunc(datepart, date):
        return f"date_trunc('{datepart}', {date})"

    @staticmethod
    def dateadd(datepart, interval, from_date_or_timestamp):
        return f"{from_date_or_timestamp} + ((interval '1 {datepart}') * ({interval}))"

    @staticmethod
    def datediff(first_date, second_date, datepart):
        return f"date_part('{datepart}', ({second_date})::timestamp - ({first_date})::timestamp)"


class _Adapter:
    @staticmethod
    def quote(identifier):
        return f'"{identifier}"'


adapter = _Adapter()
config = _Config()
dbt = _CrossDatabase()
