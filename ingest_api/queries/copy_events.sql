-- The columns are ingest_api/rows.py's RawEvent fields, in that order.
copy raw.events ({{raw_event_columns}}) from stdin
