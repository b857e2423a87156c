"""The SQL that ingest_api runs, one `.sql` file per statement; `sql("name")` returns its text, with what
ingest_api/rows.py defines filled in where a file names it: `{{raw_event_columns}}` and
`{{rejected_event_columns}}` (column lists), `{{raw_event_fields}}` (the fields of a RawEvent sent as a JSON
array `r`, by position: `r->>i` for text, `r->i` for JSON)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ingest_api.rows import JSON_FIELDS, RAW_EVENT_COLUMNS, REJECTED_EVENT_COLUMNS

_HERE = Path(__file__).resolve().parent
_FILLED_IN = {
    "{{raw_event_columns}}": ", ".join(RAW_EVENT_COLUMNS),
    "{{rejected_event_columns}}": ", ".join(REJECTED_EVENT_COLUMNS),
    "{{raw_event_fields}}": ", ".join(
        f"r->{i}" if name in JSON_FIELDS else f"r->>{i}" for i, name in enumerate(RAW_EVENT_COLUMNS)
    ),
}


@cache
def sql(name: str) -> str:
    text = (_HERE / f"{name}.sql").read_text()
    for placeholder, value in _FILLED_IN.items():
        text = text.replace(placeholder, value)
    return text
