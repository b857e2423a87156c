"""Settings of the ingest API: the shared `touchline.settings.Settings` plus a few knobs of its own.

Everything has a `TOUCHLINE_` environment name (`TOUCHLINE_COMMIT_TIMEOUT_S`, ...). Tests build an
`IngestSettings(...)` and pass it to `create_app`.
"""

from __future__ import annotations

from touchline.settings import Settings


class IngestSettings(Settings):
    # A request waits at most this long for its commit, then answers 503 (the client retries; a
    # late commit is then deduplicated by messageId).
    commit_timeout_s: float = 1.0
    # Connecting to or querying the database for a key lookup / health gives up after this long.
    db_timeout_s: float = 1.0
    # While the database is down, try to reconnect at most this often (requests fail fast between).
    reconnect_interval_s: float = 0.05
    # Key lookups are cached this long (a revoked key stops working within this time).
    key_cache_ttl_s: float = 10.0
    # `ops.api_keys.last_used_at` is written at most this often, for all keys used meanwhile.
    last_used_interval_s: float = 60.0
    # One group commit writes at most this many events (the rest go in the next one).
    group_max_events: int = 20_000
    # Number of uvicorn worker processes; the per-key rate is split between them.
    api_workers: int = 1
    cors_max_age_s: int = 600
    # Connections (ingest_api/server.py): a request's headers must arrive within header_timeout_s, its
    # body within body_timeout_s after them; an idle keep-alive connection closes after
    # keepalive_timeout_s; each worker process keeps at most max_connections open.
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keepalive_timeout_s: int = 5
    max_connections: int = 2000
    # Log each request (method, path, status, ms, key display prefix; never a key, query or body) to
    # the `touchline.requests` logger: `TOUCHLINE_REQUEST_LOG=1`.
    request_log: bool = False
    # Serve the touchline.js demo page at `/demo` (`TOUCHLINE_DEMO_PAGE=1`; `touchline dev` sets it). Off:
    # a production API answers 404 there.
    demo_page: bool = False


def ingest_settings(settings: Settings | None = None) -> IngestSettings:
    """`settings` as `IngestSettings` (defaults for the ingest-only fields), or read from the environment."""
    if settings is None:
        return IngestSettings()
    if isinstance(settings, IngestSettings):
        return settings
    return IngestSettings.model_construct(**settings.model_dump())
