"""The SQL that ingest_api runs, one `.sql` file per statement; `sql("name")` returns its text."""
from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@cache
def sql(name: str) -> str:
    return (_HERE / f"{name}.sql").read_text()
