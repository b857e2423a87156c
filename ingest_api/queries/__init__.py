"""The SQL that ingest_api runs, one `.sql` file per statement; `sql("name")` returns its text, with the
column lists of ingest_api/rows.py filled in where a file names them (`{raw_event_columns}`,
`{rejected_event_columns}`)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from ingest_api.rows import RAW_EVENT_COLUMNS, REJECTED_EVENT_COLUMNS

_HERE = Path(__file__).resolve().parent
_COLUMN_LISTS = {"{raw_event_columns}": ", ".join(RAW_EVENT_COLUMNS),
                 "{rejected_event_columns}": ", ".join(REJECTED_EVENT_COLUMNS)}


@cache
def sql(name: str) -> str:
    text = (_HERE / f"{name}.sql").read_text()
    for placeholder, columns in _COLUMN_LISTS.items():
        text = text.replace(placeholder, columns)
    return text
