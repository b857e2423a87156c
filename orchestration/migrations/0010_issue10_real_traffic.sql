-- Real-world traffic (issue 10) and declared state of the core build (issue 14).

-- How each event's time was taken (docs/rules: event time) and whether it came without a browser context.
alter table core.events
    add column event_time_source text not null default 'client',  -- client | skew_corrected | clamped_future | clamped_past | received
    add column is_server_event boolean not null default false,
    add column traits_set_once jsonb;                              -- trait values set only once ($set_once)
comment on column core.events.traits is 'the traits this event sets on the profile (identify, $set; context.traits only if the project says so)';

-- Bots come from a maintained crawler list now; server user agents (HTTP libraries, server SDKs) are typed
-- 'server' and never bots. The lookup is rebuilt from the next run on (a full refresh re-types old events).
truncate core.device_lookup;
alter table core.device_lookup add column is_server boolean not null default false;

-- State shared between the assets of one run, declared here instead of created by the steps.
drop table if exists core.raw_batch;
create unlogged table core.raw_batch (
    project_id          text not null,
    message_id          text not null,
    type                text not null,
    event               text,
    anonymous_id        text,             -- identifiers as the pipeline takes them: blocked values are null
    user_id             text,
    previous_id         text,
    event_timestamp     timestamptz,
    sent_at             timestamptz,
    received_at         timestamptz not null,
    ip                  inet,
    user_agent          text,
    key_prefix          text,
    payload             jsonb not null,
    blocked_identifiers text[] not null default '{}',  -- the values sent that the project blocks
    quarantine_reason   text              -- not null: the row goes to core.quarantined_events, not core.events
);  -- one row per (project_id, message_id) by construction (stage_batch.sql)
-- the few quarantined rows, without a scan of the wide batch (record_quality.sql)
create index raw_batch_quarantined on core.raw_batch (project_id) where quarantine_reason is not null;
drop table if exists core.run_users;
create unlogged table core.run_users (   -- the users whose profiles this run rebuilds
    project_id  text not null,
    user_key    text not null,
    primary key (project_id, user_key)
);

-- Rows the pipeline cannot take: kept with their reason, never halting a run.
create table core.quarantined_events (
    project_id      text not null,
    message_id      text not null,
    reason          text not null,
    received_at     timestamptz not null,
    payload         jsonb not null,
    primary key (project_id, message_id)
);

-- Data quality per project and UTC day of receipt: one counter per (metric, detail).
--   events (detail ''), quarantined (reason), blocked_identifier (value), event_time (event_time_source),
--   bots (''), server_events (''), rejected_at_ingest (reason: raw.rejected_events)
create table core.data_quality_daily (
    project_id   text not null,
    day          date not null,
    metric       text not null,
    detail       text not null default '',
    count        bigint not null,
    primary key (project_id, day, metric, detail)
);

-- An identifier as the pipeline takes it: null when absent, empty, made only of zeros and dashes (the zero
-- UUID), or in the project's blocked list (compared trimmed and lower-cased).
create function core.usable_identifier(value text, blocked text[]) returns text
language sql immutable parallel safe as $$
    SELECT CASE WHEN btrim(value) ~ '^[0-]*$' OR lower(btrim(value)) = ANY(blocked) THEN NULL ELSE value END
$$;

-- A JSON value when it is an object, else null (payload fields SDKs send with the wrong type).
create function core.json_object(value jsonb) returns jsonb
language sql immutable parallel safe as $$
    SELECT CASE WHEN jsonb_typeof(value) = 'object' THEN value END
$$;

-- A person's server events (no anonymous id), found by person when their sessions move (attach_server_events.sql).
create index events_server on core.events (project_id, user_key) where anonymous_id is null and user_key is not null;
