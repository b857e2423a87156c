"""ingest_api: the HTTP contract that lands raw events in PostgreSQL (and nothing else).

Run it with `touchline api` (`ingest_api.server.serve`); the app is `ingest_api.app:create_app`.

Endpoints: Segment's `POST /v1/batch|track|page|screen|identify|alias|group`, analytics.js 2.0's
`/v1/t|p|i|a|g|s|b|m` and settings `GET /v1/projects/{key}/settings`, analytics-java's `/v1/import`,
RudderStack's `GET /sourceConfig/` and `/beacon/v1/batch`, Jitsu's `/api/s/{type}` and
`/api/s/s2s/{type}`, PostHog's `/e/`, `/i/v0/e/`, `/capture/`, `/batch/`, `/flags/`, `/decide/`,
`/array/{token}/config(.js)`; the native `POST /api/v1/events`, `GET /api/v1/health`,
`GET /api/v1/validate`, OpenAPI at `/openapi.json`.

Modules:
    app        create_app(settings): routers, CORS, error answers, lifespan (connections, writer)
    server     serve(host, port, workers): migrate, then uvicorn
    routers/   segment.py, rudderstack.py, jitsu.py, posthog.py, native.py, meta.py: one router per
               SDK family / resource, each with the configuration its SDK fetches at start
    posthog    PostHog events onto the Segment message contract (the mapping rules)
    request_log  one line per request at TOUCHLINE_REQUEST_LOG=1, never a key
    deps       the typed dependencies (RuntimeDep, CallerDep): body limits, keys, rate, capture
    events     bytes -> rows: parsing, per-event validation and rejection reasons, capture
    writer     group commit into raw.events / raw.event_keys / raw.rejected_events
    auth       key lookup cache, last_used_at batching, token buckets, allowed origins
    cors       per-project CORS middleware
    partitions create-ahead and retention helpers; queries/ holds every SQL statement

Decisions, in the words the README uses:

Text that PostgreSQL cannot store. jsonb rejects the character U+0000 (`\\u0000`) and text columns
reject NUL bytes, so U+0000 is removed from every string of an event (keys and values, typed columns
and payload alike) before it is stored: `"a\\u0000b"` is stored as `"ab"`. The rule is applied to the
whole event whenever its JSON contains `\\u0000`, so the same input always gives the same row. Lone
UTF-16 surrogates (`"\\ud800"`) and invalid UTF-8 bytes become U+FFFD. Numbers are stored exactly:
jsonb numbers are arbitrary-precision, and integers beyond 64 bits or values beyond the range of a
double (`1e400`) are passed through as written instead of being rounded. A quarantined payload in
`raw.rejected_events.payload` is text: the original bytes, with invalid UTF-8 as `\\xNN` and NUL as
`\\x00`.

Deduplication. One event per (project, messageId): the writer claims the messageIds of a group in
`raw.event_keys` (INSERT ... ON CONFLICT DO NOTHING) and COPYs into `raw.events` only the events
whose key was new, in the same transaction. A retried batch is acknowledged (200) and stored once,
whatever month it arrives in; within one group the first copy wins. Native events without
`event_id` get a messageId hashed from their content, so retries of them are deduplicated too;
Segment messages without messageId get a UUID (what Segment does).

Group commit. Each worker process has one writer task with one connection. Requests parse and
validate their events, hand the rows to the writer and await a future; the writer takes all that is
pending, writes it in one transaction (claim keys, COPY events, COPY rejections) and commits with
synchronous_commit on, then resolves every future. While a commit runs the next group accumulates,
so groups grow with the load without a fixed delay. A 2xx is sent only after the commit. If the
database is unreachable, the answer is 503 (with Retry-After) within `commit_timeout_s` (1 s).

Other rules: a request is rate-limited per key (token bucket, one token per request, the rate split
between worker processes); keys are cached `key_cache_ttl_s` (10 s, so a revocation takes effect
within 10 s) and `last_used_at` is written every `last_used_interval_s` (60 s); X-Forwarded-For is
read only when the peer is in `trusted_proxies` (walking right to left past trusted proxies);
allowed origins are per project (`ops.projects.allowed_origins`, `*` for any; empty means no browser
use); preflights are answered for origins some project allows, with every header they ask for, the request
itself is then checked against the key's project (403). Bodies may be `text/plain`, gzip/deflate
(header, PostHog's `?compression=gzip-js`, or the gzip magic bytes) or PostHog's base64 form; the
500 KB limit applies after decoding, and an undecodable body is quarantined as `bad_encoding`. A 413 or 401 body is not stored; a body that is not JSON
(400) is quarantined with reason `malformed_json` when its key is good.
"""
