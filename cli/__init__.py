"""The `touchline` command line (`cli.main`) and the end-to-end demo (`cli.demo`).

The top layer of the import graph: it may import every package of the repository (`touchline`,
`ingest_api`, `orchestration`, `generator`); none of them imports it (tests/test_layers.py).
"""
