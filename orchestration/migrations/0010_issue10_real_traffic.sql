-- Real-world traffic (issue 10) and declared state of the core build (issue 14).

-- How each event's time was taken (docs/rules: event time) and whether it came without a browser context.
ALTER TABLE core.events
    ADD COLUMN event_time_source text NOT NULL DEFAULT 'client',  -- client | skew_corrected | clamped_future | clamped_past | received
    ADD COLUMN is_server_event boolean NOT NULL DEFAULT false,
    ADD COLUMN traits_set_once jsonb;                              -- trait values set only once ($set_once)
COMMENT ON COLUMN core.events.traits IS 'the traits this event sets on the profile (identify, $set; context.traits only if the project says so)';

-- Bots come from a maintained crawler list now; server user agents (HTTP libraries, server SDKs) are typed
-- 'server' and never bots. The lookup is rebuilt from the next run on (a full refresh re-types old events).
TRUNCATE core.device_lookup;
ALTER TABLE core.device_lookup ADD COLUMN is_server boolean NOT NULL DEFAULT false;

-- State shared between the assets of one run, declared here instead of created by the steps.
DROP TABLE IF EXISTS core.raw_batch;
CREATE UNLOGGED TABLE core.raw_batch (
    project_id          text NOT NULL,
    message_id          text NOT NULL,
    type                text NOT NULL,
    event               text,
    anonymous_id        text,             -- identifiers as the pipeline takes them: blocked values are null
    user_id             text,
    previous_id         text,
    event_timestamp     timestamptz,
    sent_at             timestamptz,
    received_at         timestamptz NOT NULL,
    ip                  inet,
    user_agent          text,
    key_prefix          text,
    payload             jsonb NOT NULL,
    blocked_identifiers text[] NOT NULL DEFAULT '{}',  -- the values sent that the project blocks
    quarantine_reason   text              -- not null: the row goes to core.quarantined_events, not core.events
);  -- one row per (project_id, message_id) by construction (stage_batch.sql)
-- the few quarantined rows, without a scan of the wide batch (record_quality.sql)
CREATE INDEX raw_batch_quarantined ON core.raw_batch (project_id) WHERE quarantine_reason IS NOT NULL;
DROP TABLE IF EXISTS core.run_users;
CREATE UNLOGGED TABLE core.run_users (   -- the users whose profiles this run rebuilds
    project_id  text NOT NULL,
    user_key    text NOT NULL,
    PRIMARY KEY (project_id, user_key)
);

-- Rows the pipeline cannot take: kept with their reason, never halting a run.
CREATE TABLE core.quarantined_events (
    project_id      text NOT NULL,
    message_id      text NOT NULL,
    reason          text NOT NULL,
    received_at     timestamptz NOT NULL,
    payload         jsonb NOT NULL,
    PRIMARY KEY (project_id, message_id)
);

-- Data quality per project and UTC day of receipt: one counter per (metric, detail).
--   events (detail ''), quarantined (reason), blocked_identifier (value), event_time (event_time_source),
--   bots (''), server_events (''), rejected_at_ingest (reason: raw.rejected_events)
CREATE TABLE core.data_quality_daily (
    project_id   text NOT NULL,
    day          date NOT NULL,
    metric       text NOT NULL,
    detail       text NOT NULL DEFAULT '',
    count        bigint NOT NULL,
    PRIMARY KEY (project_id, day, metric, detail)
);

-- An identifier as the pipeline takes it: null when absent, empty, made only of zeros and dashes (the zero
-- UUID), or in the project's blocked list (compared trimmed and lower-cased).
CREATE FUNCTION core.usable_identifier(value text, blocked text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN btrim(value) ~ '^[0-]*$' OR lower(btrim(value)) = ANY(blocked) THEN NULL ELSE value END
$$;

-- A JSON value when it is an object, else null (payload fields SDKs send with the wrong type).
CREATE FUNCTION core.json_object(value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'object' THEN value END
$$;

-- A person's server events (no anonymous id), found by person when their sessions move (attach_server_events.sql).
CREATE INDEX events_server ON core.events (project_id, user_key) WHERE anonymous_id IS NULL AND user_key IS NOT NULL;
