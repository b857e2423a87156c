-- ops: tenants and their write keys; raw: what the ingest API lands, append-only.
create schema if not exists ops;
create schema if not exists raw;

create table ops.projects (
    project_id               text primary key,
    name                     text not null unique,
    created_at               timestamptz not null default now(),
    session_timeout_minutes  integer not null default 30 check (session_timeout_minutes > 0),
    allowed_origins          text[] not null default '{}'
);

-- Keys are stored only as a SHA-256 hash (they are 190 bits of randomness, so a fast hash is
-- safe) with a display prefix such as `sk_live_AbCd`.
create table ops.api_keys (
    key_id        bigserial primary key,
    project_id    text not null references ops.projects(project_id),
    env           text not null check (env in ('live', 'test')),
    key_prefix    text not null,
    key_hash      text not null unique,
    created_at    timestamptz not null default now(),
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
create index api_keys_prefix on ops.api_keys (key_prefix);

create table ops.watermarks (
    name        text primary key,
    value       timestamptz,
    updated_at  timestamptz not null default now()
);

-- One row per accepted event. `payload` is the whole message as received (unknown fields kept),
-- with `\u0000` removed (see README); typed columns are what every consumer needs.
create table raw.events (
    project_id          text not null,
    message_id          text not null,
    type                text not null,
    event               text,
    anonymous_id        text,
    user_id             text,
    previous_id         text,
    event_timestamp     timestamptz,      -- `timestamp` (or originalTimestamp) as the client sent it
    sent_at             timestamptz,
    received_at         timestamptz not null,
    ip                  inet,
    user_agent          text,
    key_prefix          text,
    payload             jsonb not null
) partition by range (received_at);
create table raw.events_default partition of raw.events default;

-- Deduplication key: a retried message is stored once whatever partition it would land in.
create table raw.event_keys (
    project_id   text not null,
    message_id   text not null,
    received_at  timestamptz not null,
    primary key (project_id, message_id)
);

create table raw.rejected_events (
    rejected_id   bigserial primary key,
    project_id    text,
    received_at   timestamptz not null default now(),
    reason        text not null,
    key_prefix    text,
    payload       text not null             -- the original bytes as text, whatever they were
);

-- Monthly partitions of raw.events, created ahead; idempotent.
create function raw.ensure_event_partitions(from_month date, months_ahead integer default 3)
returns void language plpgsql as $$
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

select raw.ensure_event_partitions((now() - interval '1 month')::date, 3);
