-- core: written only by orchestration's Python assets. These tables are the contract that dbt's
-- staging models read (dbt_project/models/staging/core/_core__sources.yml).
CREATE SCHEMA IF NOT EXISTS core;

-- Enrichment lookups, one row per distinct value.
CREATE TABLE core.geo_lookup (
    ip              inet PRIMARY KEY,
    ip_truncated    text,              -- /24 for IPv4, /48 for IPv6: all that leaves raw
    country_code    text,
    country         text,
    region          text,
    city            text,
    time_zone       text,
    latitude        double precision,
    longitude       double precision
);

CREATE TABLE core.device_lookup (
    user_agent       text PRIMARY KEY,
    browser          text,
    browser_version  text,
    os               text,
    os_version       text,
    device_brand     text,
    device_model     text,
    device_type      text NOT NULL,    -- desktop | mobile | tablet | bot | other
    is_bot           boolean NOT NULL
);

-- One row per (project, message_id): deduplicated (earliest received wins), clock-corrected,
-- enriched, classified, sessionized and stitched.
CREATE TABLE core.events (
    project_id              text NOT NULL,
    message_id              text NOT NULL,
    event_type              text NOT NULL,   -- page | screen | track | identify | alias | group
    event_name              text,            -- track: event; page/screen: name; else the type
    anonymous_id            text,
    user_id                 text,            -- as sent
    previous_id             text,
    device_id               text NOT NULL,   -- anonymous_id, else user_id: the stream sessions are cut on
    event_at                timestamptz NOT NULL,  -- received_at - (sent_at - timestamp)
    event_date              date NOT NULL,   -- UTC day of event_at (the daily partition key)
    received_at             timestamptz NOT NULL,
    sent_at                 timestamptz,
    properties              jsonb,
    traits                  jsonb,
    page_url                text,
    page_path               text,
    page_title              text,
    page_referrer           text,
    referrer_host           text,
    ip_truncated            text,
    country_code            text,
    country                 text,
    region                  text,
    city                    text,
    time_zone               text,
    latitude                double precision,
    longitude               double precision,
    local_hour              smallint,
    local_weekday           smallint,        -- ISO: 1 Monday .. 7 Sunday
    browser                 text,
    browser_version         text,
    os                      text,
    os_version              text,
    device_type             text,
    is_bot                  boolean NOT NULL DEFAULT false,
    utm_source              text,
    utm_medium              text,
    utm_campaign            text,
    utm_term                text,
    utm_content             text,
    utm_id                  text,
    gclid                   text,
    gbraid                  text,
    wbraid                  text,
    fbclid                  text,
    msclkid                 text,
    ttclid                  text,
    li_fat_id               text,
    referrer_class          text,            -- search | social | email | internal | referral | direct
    channel                 text,            -- GA4-style default channel group
    session_id              text,            -- null for bots
    session_event_sequence  integer,
    user_key                text,            -- stitched canonical user id (null: never identified)
    blended_user_id         text NOT NULL,   -- user_key, else device_id
    PRIMARY KEY (project_id, message_id)
);
CREATE INDEX events_session ON core.events (project_id, session_id);
CREATE INDEX events_date ON core.events (event_date);

CREATE TABLE core.sessions (
    project_id          text NOT NULL,
    session_id          text NOT NULL,
    device_id           text NOT NULL,
    anonymous_id        text,
    user_key            text,
    blended_user_id     text NOT NULL,
    started_at          timestamptz NOT NULL,
    ended_at            timestamptz NOT NULL,
    duration_seconds    double precision NOT NULL,
    event_count         integer NOT NULL,
    page_view_count     integer NOT NULL,
    landing_page_url    text,
    landing_page_path   text,
    exit_page_url       text,
    exit_page_path      text,
    referrer            text,
    referrer_host       text,
    referrer_class      text,
    channel             text,
    utm_source          text,
    utm_medium          text,
    utm_campaign        text,
    utm_term            text,
    utm_content         text,
    utm_id              text,
    gclid               text,
    gbraid              text,
    wbraid              text,
    fbclid              text,
    msclkid             text,
    ttclid              text,
    li_fat_id           text,
    browser             text,
    os                  text,
    device_type         text,
    country_code        text,
    country             text,
    region              text,
    city                text,
    PRIMARY KEY (project_id, session_id)
);

-- Explicit identity signals only: identify, any event carrying both ids, alias.
CREATE TABLE core.identity_edges (
    project_id      text NOT NULL,
    from_id         text NOT NULL,   -- anonymous_id (kind 'anonymous') or previous user id (kind 'alias')
    to_user_id      text NOT NULL,
    kind            text NOT NULL,   -- anonymous | alias
    first_seen_at   timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    first_message_id text NOT NULL,
    PRIMARY KEY (project_id, kind, from_id, to_user_id)
);

-- Alias closure: every user id to its canonical user.
CREATE TABLE core.user_aliases (
    project_id         text NOT NULL,
    user_id            text NOT NULL,
    canonical_user_id  text NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

-- Device -> user over time: [valid_from, valid_to) per device.
CREATE TABLE core.identity_map (
    project_id   text NOT NULL,
    device_id    text NOT NULL,
    user_key     text NOT NULL,
    valid_from   timestamptz NOT NULL,
    valid_to     timestamptz,
    PRIMARY KEY (project_id, device_id, valid_from)
);

-- Every merge that changes who an id belongs to, with the event that caused it.
CREATE TABLE core.identity_merge_log (
    project_id       text NOT NULL,
    merged_at        timestamptz NOT NULL,
    id_kind          text NOT NULL,   -- device | user
    id_value         text NOT NULL,
    from_user_key    text,
    to_user_key      text NOT NULL,
    rule             text NOT NULL,
    cause_message_id text NOT NULL,
    PRIMARY KEY (project_id, id_kind, id_value, merged_at, to_user_key)
);

CREATE TABLE core.user_profiles (
    project_id       text NOT NULL,
    user_key         text NOT NULL,
    first_seen_at    timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    traits           jsonb NOT NULL DEFAULT '{}',   -- every trait, merged by its rule
    email            text,
    name             text,
    plan             text,
    first_utm_source   text,
    first_utm_medium   text,
    first_utm_campaign text,
    initial_referrer   text,
    landing_page       text,
    devices          text[] NOT NULL DEFAULT '{}',
    emails_seen      text[] NOT NULL DEFAULT '{}',
    session_count    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, user_key)
);
