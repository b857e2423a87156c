"""touchline's small shared package: settings, the embedded database, keys, the warehouse contract
(migration runner), project settings, ports.

`ingest_api` and `orchestration` both import from here and never from each other; this package imports
neither of them (nor `generator` or `cli`, which sit above): docs/architecture.md D11, tests/test_layers.py.
"""
