"""Run Great Expectations expectations against a PostgreSQL table, inside the database.

Expectations run through GX's SQL datasource (SQLAlchemy): metrics are SQL queries, nothing is loaded
into pandas. Row rules that no built-in expectation states are `UnexpectedRowsExpectation`s with SQL.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Outcome:
    success: bool
    failures: dict[str, object]  # expectation description -> observed result
    evaluated: int


@lru_cache(maxsize=4)
def _datasource(sqlalchemy_url: str):
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # pragma: no cover - cosmetic only
        pass
    return context.data_sources.add_sql(name="touchline", connection_string=sqlalchemy_url)


def validate(sqlalchemy_url: str, schema: str, table: str, expectations: list) -> Outcome:
    ds = _datasource(sqlalchemy_url)
    name = f"{schema}.{table}"
    try:
        asset = ds.get_asset(name)
    except (LookupError, Exception):
        asset = ds.add_table_asset(name=name, table_name=table, schema_name=schema)
    try:
        batch_def = asset.get_batch_definition("whole")
    except (KeyError, LookupError, Exception):
        batch_def = asset.add_batch_definition_whole_table("whole")
    batch = batch_def.get_batch()
    failures = {}
    for exp in expectations:
        result = batch.validate(exp)
        if not result.success:
            label = exp.description or type(exp).__name__
            errors = [v.get("exception_message") for v in (result.exception_info or {}).values()
                      if isinstance(v, dict) and v.get("raised_exception")]
            failures[label] = ("error: " + errors[0]) if errors else result.result.get(
                "observed_value", result.result.get("unexpected_count"))
    return Outcome(success=not failures, failures=failures, evaluated=len(expectations))


def rows(query: str, description: str):
    """An expectation that the query (with `{batch}` for the table) returns no row."""
    import great_expectations as gx

    return gx.expectations.UnexpectedRowsExpectation(unexpected_rows_query=query, description=description)


def unique(columns: list[str], description: str):
    import great_expectations as gx

    return gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=columns, description=description)


def not_null(column: str, description: str):
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToNotBeNull(column=column, description=description)


def in_set(column: str, values: list[str], description: str):
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToBeInSet(column=column, value_set=values, description=description)
