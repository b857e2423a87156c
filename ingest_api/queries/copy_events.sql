-- The columns are ingest_api/rows.py's RawEvent fields, in that order.
COPY raw.events ({raw_event_columns}) FROM STDIN
