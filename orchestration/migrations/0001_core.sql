-- core: written only by orchestration's Python assets. These tables are the contract that dbt's
-- staging models read (dbt_project/models/staging/core/_core__sources.yml).
create schema if not exists core;

-- Enrichment lookups, one row per distinct value.
create table core.geo_lookup (
    ip              inet primary key,
    ip_truncated    text,              -- /24 for IPv4, /48 for IPv6: all that leaves raw
    country_code    text,
    country         text,
    region          text,
    city            text,
    time_zone       text,
    latitude        double precision,
    longitude       double precision
);

create table core.device_lookup (
    user_agent       text primary key,
    browser          text,
    browser_version  text,
    os               text,
    os_version       text,
    device_brand     text,
    device_model     text,
    device_type      text not null,    -- desktop | mobile | tablet | bot | other
    is_bot           boolean not null
);

-- One row per (project, message_id): deduplicated (earliest received wins), clock-corrected,
-- enriched, classified, sessionized and stitched.
create table core.events (
    project_id              text not null,
    message_id              text not null,
    event_type              text not null,   -- page | screen | track | identify | alias | group
    event_name              text,            -- track: event; page/screen: name; else the type
    anonymous_id            text,
    user_id                 text,            -- as sent
    previous_id             text,
    device_id               text not null,   -- anonymous_id, else user_id: the stream sessions are cut on
    event_at                timestamptz not null,  -- received_at - (sent_at - timestamp)
    event_date              date not null,   -- UTC day of event_at (the daily partition key)
    received_at             timestamptz not null,
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
    is_bot                  boolean not null default false,
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
    blended_user_id         text not null,   -- user_key, else device_id
    primary key (project_id, message_id)
);
create index events_session on core.events (project_id, session_id);
create index events_date on core.events (event_date);

create table core.sessions (
    project_id          text not null,
    session_id          text not null,
    device_id           text not null,
    anonymous_id        text,
    user_key            text,
    blended_user_id     text not null,
    started_at          timestamptz not null,
    ended_at            timestamptz not null,
    duration_seconds    double precision not null,
    event_count         integer not null,
    page_view_count     integer not null,
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
    primary key (project_id, session_id)
);

-- Explicit identity signals only: identify, any event carrying both ids, alias.
create table core.identity_edges (
    project_id      text not null,
    from_id         text not null,   -- anonymous_id (kind 'anonymous') or previous user id (kind 'alias')
    to_user_id      text not null,
    kind            text not null,   -- anonymous | alias
    first_seen_at   timestamptz not null,
    last_seen_at    timestamptz not null,
    first_message_id text not null,
    primary key (project_id, kind, from_id, to_user_id)
);

-- Alias closure: every user id to its canonical user.
create table core.user_aliases (
    project_id         text not null,
    user_id            text not null,
    canonical_user_id  text not null,
    primary key (project_id, user_id)
);

-- Device -> user over time: [valid_from, valid_to) per device.
create table core.identity_map (
    project_id   text not null,
    device_id    text not null,
    user_key     text not null,
    valid_from   timestamptz not null,
    valid_to     timestamptz,
    primary key (project_id, device_id, valid_from)
);

-- Every merge that changes who an id belongs to, with the event that caused it.
create table core.identity_merge_log (
    project_id       text not null,
    merged_at        timestamptz not null,
    id_kind          text not null,   -- device | user
    id_value         text not null,
    from_user_key    text,
    to_user_key      text not null,
    rule             text not null,
    cause_message_id text not null,
    primary key (project_id, id_kind, id_value, merged_at, to_user_key)
);

create table core.user_profiles (
    project_id       text not null,
    user_key         text not null,
    first_seen_at    timestamptz not null,
    last_seen_at     timestamptz not null,
    traits           jsonb not null default '{}',   -- every trait, merged by its rule
    email            text,
    name             text,
    plan             text,
    first_utm_source   text,
    first_utm_medium   text,
    first_utm_campaign text,
    initial_referrer   text,
    landing_page       text,
    devices          text[] not null default '{}',
    emails_seen      text[] not null default '{}',
    session_count    integer not null default 0,
    primary key (project_id, user_key)
);
