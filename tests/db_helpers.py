"""A migrated database of a test's own on the test server, dropped afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from touchline import db, warehouse


@contextlib.contextmanager
def migrated_database(base_url: str, name: str) -> Iterator[str]:
    """Create (afresh) database `name` on the server of `base_url`, migrate it, yield its URL, drop it."""
    url = db.libpq_url(db.with_database(base_url, name))
    db.drop_database(url)
    db.ensure_database(url)
    with db.connect(url) as conn:
        warehouse.migrate(conn)
        conn.commit()
    try:
        yield url
    finally:
        db.drop_database(url)
