-- ops: tenants and their write keys; raw: what the ingest API lands, append-only.
CREATE SCHEMA IF NOT EXISTS ops;
CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE ops.projects (
    project_id               text PRIMARY KEY,
    name                     text NOT NULL UNIQUE,
    created_at               timestamptz NOT NULL DEFAULT now(),
    session_timeout_minutes  integer NOT NULL DEFAULT 30 CHECK (session_timeout_minutes > 0),
    allowed_origins          text[] NOT NULL DEFAULT '{}'
);

-- Keys are stored only as a SHA-256 hash (they are 190 bits of randomness, so a fast hash is
-- safe) with a display prefix such as `sk_live_AbCd`.
CREATE TABLE ops.api_keys (
    key_id        bigserial PRIMARY KEY,
    project_id    text NOT NULL REFERENCES ops.projects(project_id),
    env           text NOT NULL CHECK (env IN ('live', 'test')),
    key_prefix    text NOT NULL,
    key_hash      text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
CREATE INDEX api_keys_prefix ON ops.api_keys (key_prefix);

CREATE TABLE ops.watermarks (
    name        text PRIMARY KEY,
    value       timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per accepted event. `payload` is the whole message as received (unknown fields kept),
-- with `\u0000` removed (see README); typed columns are what every consumer needs.
CREATE TABLE raw.events (
    project_id          text NOT NULL,
    message_id          text NOT NULL,
    type                text NOT NULL,
    event               text,
    anonymous_id        text,
    user_id             text,
    previous_id         text,
    event_timestamp     timestamptz,      -- `timestamp` (or originalTimestamp) as the client sent it
    sent_at             timestamptz,
    received_at         timestamptz NOT NULL,
    ip                  inet,
    user_agent          text,
    key_prefix          text,
    payload             jsonb NOT NULL
) PARTITION BY RANGE (received_at);
CREATE TABLE raw.events_default PARTITION OF raw.events DEFAULT;

-- Deduplication key: a retried message is stored once whatever partition it would land in.
CREATE TABLE raw.event_keys (
    project_id   text NOT NULL,
    message_id   text NOT NULL,
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (project_id, message_id)
);

CREATE TABLE raw.rejected_events (
    rejected_id   bigserial PRIMARY KEY,
    project_id    text,
    received_at   timestamptz NOT NULL DEFAULT now(),
    reason        text NOT NULL,
    key_prefix    text,
    payload       text NOT NULL             -- the original bytes as text, whatever they were
);

-- Monthly partitions of raw.events, created ahead; idempotent.
CREATE FUNCTION raw.ensure_event_partitions(from_month date, months_ahead integer DEFAULT 3)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    m date := date_trunc('month', from_month)::date;
    name text;
BEGIN
    FOR i IN 0..months_ahead LOOP
        name := format('events_%s', to_char(m, 'YYYY_MM'));
        IF to_regclass(format('raw.%I', name)) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE raw.%I PARTITION OF raw.events FOR VALUES FROM (%L) TO (%L)',
                name, m, (m + interval '1 month')::date);
            EXECUTE format('CREATE INDEX ON raw.%I (project_id, received_at)', name);
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
END $$;

SELECT raw.ensure_event_partitions((now() - interval '1 month')::date, 3);
