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


EXAMPLES = 3  # unexpected values or rows shown per failed expectation
EXAMPLE_CHARS = 240  # each example is cut to this many characters


@dataclass(frozen=True)
class Failure:
    """One failed expectation, readable on its own: what was expected, of which column, how many rows
    broke it and a few of them (or the error that kept it from running)."""

    expectation: str  # the expectation's description
    kind: str  # GX's expectation type, e.g. expect_column_values_to_be_in_set
    column: str | None  # the column (or columns) it is about; None for a row query
    unexpected_count: int | None  # rows (or values) that broke it; None when it could not run
    examples: tuple[str, ...] = ()
    error: str | None = None

    def line(self) -> str:
        """`expectation [column]: 3 unexpected, e.g. a; b` on one line."""
        where = f" [{self.column}]" if self.column else ""
        if self.error:
            return f"{self.expectation}{where}: error: {self.error}"
        shown = f", e.g. {'; '.join(self.examples)}" if self.examples else ""
        return f"{self.expectation}{where}: {self.unexpected_count} unexpected{shown}"


@dataclass(frozen=True)
class Outcome:
    success: bool
    failures: tuple[Failure, ...]
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
    failures = []
    for exp in expectations:
        # a row query's unexpected rows come only with COMPLETE (GX caps them); column expectations give
        # their count and a partial list of values with SUMMARY
        row_query = hasattr(exp, "unexpected_rows_query")
        result = batch.validate(exp, result_format="COMPLETE" if row_query else "SUMMARY")
        if not result.success:
            failures.append(_failure(exp, result, row_query))
    return Outcome(success=not failures, failures=tuple(failures), evaluated=len(expectations))


def _failure(exp, result, row_query: bool) -> Failure:
    column = getattr(exp, "column", None) or (", ".join(getattr(exp, "column_list", None) or []) or None)
    errors = [
        v.get("exception_message")
        for v in (result.exception_info or {}).values()
        if isinstance(v, dict) and v.get("raised_exception")
    ]
    kind = exp.expectation_type
    label = exp.description or kind
    if errors:
        return Failure(label, kind, column, None, error=str(errors[0]))
    found = result.result or {}
    if row_query:
        count = found.get("observed_value")
        examples = (found.get("details") or {}).get("unexpected_rows") or []
    else:
        count = found.get("unexpected_count", found.get("observed_value"))
        examples = found.get("partial_unexpected_list") or []
    return Failure(label, kind, column, count, tuple(_example(e) for e in list(examples)[:EXAMPLES]))


def _example(value) -> str:
    if isinstance(value, dict):  # a row: its non-null columns
        value = ", ".join(f"{k}={v}" for k, v in value.items() if v is not None)
    text = str(value)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def check_result(outcome: Outcome, **extra_metadata):
    """The Dagster asset check result of an outcome: every failure readable in the UI (a table of the
    failing expectations, their column, unexpected count and a few examples) and in the description."""
    from dagster import AssetCheckResult, MetadataValue

    metadata = {"expectations": outcome.evaluated, "failed": len(outcome.failures), **extra_metadata}
    if outcome.failures:
        table = ["| expectation | column | unexpected | examples |", "|---|---|---|---|"]
        for f in outcome.failures:
            shown = f"error: {f.error}" if f.error else "<br>".join(f.examples)
            table.append(
                "| "
                + " | ".join(
                    _cell(c)
                    for c in (
                        f.expectation,
                        f.column or "",
                        "" if f.unexpected_count is None else str(f.unexpected_count),
                        shown,
                    )
                )
                + " |"
            )
        metadata["failures"] = MetadataValue.md("\n".join(table))
    description = (
        (
            f"{len(outcome.failures)} of {outcome.evaluated} expectations failed: "
            + "; ".join(f.line() for f in outcome.failures)
        )
        if outcome.failures
        else f"all {outcome.evaluated} expectations passed"
    )
    return AssetCheckResult(passed=outcome.success, metadata=metadata, description=description)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
