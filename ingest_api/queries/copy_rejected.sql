-- The columns are ingest_api/rows.py's RejectedEvent fields, in that order.
copy raw.rejected_events ({{rejected_event_columns}}) from stdin
