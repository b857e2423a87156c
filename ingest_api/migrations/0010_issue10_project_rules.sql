-- Per-project rules for real-world traffic (issue 10), set with `touchline projects set`:
--   blocked_identifiers  identifier values treated as absent (compared trimmed and lower-cased); values
--                        made only of zeros and dashes (the zero UUID) and the empty string are always absent
--   max_event_age_days   an event time older than this before receipt takes the receipt time
--   traits_from_context  whether context.traits of events other than identify change a profile
CREATE FUNCTION ops.default_blocked_identifiers() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY['undefined', 'null', 'none', 'nil', 'nan', '0', '-1', 'anonymous', 'guest', 'unknown',
                 '[object object]', 'true', 'false', 'user', 'id', 'email', 'distinct_id']
$$;

ALTER TABLE ops.projects
    ADD COLUMN blocked_identifiers text[] NOT NULL DEFAULT ops.default_blocked_identifiers(),
    ADD COLUMN max_event_age_days integer NOT NULL DEFAULT 3650 CHECK (max_event_age_days > 0),
    ADD COLUMN traits_from_context boolean NOT NULL DEFAULT false;
