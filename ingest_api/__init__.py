"""ingest_api: the HTTP contract that lands raw events in PostgreSQL (and nothing else)."""
