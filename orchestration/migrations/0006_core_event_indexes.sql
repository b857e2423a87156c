-- Indexes of core.events are what an incremental run pays for most: every new event lands on a random
-- leaf of each of them. Keep those a query of ours uses (primary key: deduplication and read-backs;
-- user_id: devices whose user ids an alias re-maps) and drop those nothing reads (marts scan core.events
-- whole; BI reads marts only).
DROP INDEX core.events_session;
DROP INDEX core.events_date;
DROP INDEX core.events_user_key;

-- A device's history from its cut on (collect_devices.sql).
DROP INDEX core.events_device;
CREATE INDEX events_device_time ON core.events (project_id, device_id, event_at);

-- Profiles read a user's events that carry traits (a few percent of all events) through this one.
CREATE INDEX events_user_traits ON core.events (project_id, user_key, event_at)
    WHERE traits IS NOT NULL AND user_key IS NOT NULL;
