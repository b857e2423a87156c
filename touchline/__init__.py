"""touchline's small shared package: settings, the embedded database, the warehouse contract, the CLI.

`ingest_api` and `orchestration` both import from here and never from each other.
"""
