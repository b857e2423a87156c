-- The columns are ingest_api/rows.py's RejectedEvent fields, in that order.
COPY raw.rejected_events ({rejected_event_columns}) FROM STDIN
