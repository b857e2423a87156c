"""Settings read from the environment (and an optional `.env`), one object shared by every process.

Every setting has the prefix-free name a twelve-factor user expects (`DATABASE_URL`) or a
`TOUCHLINE_` prefix. Nothing reads `os.environ` elsewhere.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOUCHLINE_", env_file=".env", extra="ignore")

    # Where the data lives. None = the embedded PostgreSQL under `home`.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TOUCHLINE_DATABASE_URL")
    )
    # Database name of the embedded server used for data (Dagster gets `<name>_dagster`).
    database_name: str = "touchline"
    home: Path = PROJECT_ROOT / ".touchline"
    connect_timeout_s: int = 10
    # The embedded server also listens on TCP when a port is set (BI tools); host "*" for every address.
    db_tcp_port: int | None = None
    db_tcp_host: str = "127.0.0.1"

    # Ingest API
    api_host: str = "127.0.0.1"
    api_port: int = 8088
    max_body_bytes: int = 500 * 1024
    max_event_bytes: int = 32 * 1024
    max_depth: int = 32
    max_batch_items: int = 2500  # events in one request; more is answered 413 and quarantined as one row
    rate_per_second: float = 5000.0  # token bucket per key
    rate_burst: float = 10000.0
    trusted_proxies: list[str] = ["127.0.0.1", "::1"]
    raw_retention_months: int | None = None

    # Pipeline
    geoip_db: Path | None = None  # default: the GeoLite2 City file of maxminddb-geolite2
    schedule_cron: str = "0 2 * * *"
    schedule_enabled: bool = True  # the nightly schedule starts switched on
    run_lock_wait_s: float = 600.0  # a second core build waits this long for the lock, then refuses

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
