"""Resources of the code location, filled from the environment by `definitions.py` (EnvVar)."""

from __future__ import annotations

from pathlib import Path

import psycopg
from dagster import ConfigurableResource

from touchline import db


class PostgresResource(ConfigurableResource):
    """The data database (schemas raw, ops, core, staging, intermediate, marts)."""

    database_url: str

    def connect(self) -> psycopg.Connection:
        return db.connect(self.database_url)

    @property
    def sqlalchemy_url(self) -> str:
        return (
            db.url_parts(db.libpq_url(self.database_url))
            .set(drivername="postgresql+psycopg2")
            .render_as_string(hide_password=False)
        )


class EnrichmentResource(ConfigurableResource):
    """Where the MaxMind City database is; empty = the GeoLite2 file of maxminddb-geolite2."""

    geoip_db: str = ""

    @property
    def geoip_path(self) -> Path | None:
        return Path(self.geoip_db) if self.geoip_db else None
