-- Indexes of core.events are what an incremental run pays for most: every new event lands on a random
-- leaf of each of them. Keep those a query of ours uses (primary key: deduplication and read-backs;
-- user_id: devices whose user ids an alias re-maps) and drop those nothing reads (marts scan core.events
-- whole; BI reads marts only).
drop index core.events_session;
drop index core.events_date;
drop index core.events_user_key;

-- A device's history from its cut on (collect_devices.sql).
drop index core.events_device;
create index events_device_time on core.events (project_id, device_id, event_at);

-- Profiles read a user's events that carry traits (a few percent of all events) through this one.
create index events_user_traits on core.events (project_id, user_key, event_at)
    where traits is not null and user_key is not null;
