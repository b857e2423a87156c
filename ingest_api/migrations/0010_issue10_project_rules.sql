-- Per-project rules for real-world traffic (issue 10), set with `touchline projects set`:
--   blocked_identifiers  identifier values treated as absent (compared trimmed and lower-cased); values
--                        made only of zeros and dashes (the zero UUID) and the empty string are always absent
--   max_event_age_days   an event time older than this before receipt takes the receipt time
--   traits_from_context  whether context.traits of events other than identify change a profile
create function ops.default_blocked_identifiers() returns text[]
language sql immutable parallel safe as $$
    SELECT ARRAY['undefined', 'null', 'none', 'nil', 'nan', '0', '-1', 'anonymous', 'guest', 'unknown',
                 '[object object]', 'true', 'false', 'user', 'id', 'email', 'distinct_id']
$$;

alter table ops.projects
    add column blocked_identifiers text[] not null default ops.default_blocked_identifiers(),
    add column max_event_age_days integer not null default 3650 check (max_event_age_days > 0),
    add column traits_from_context boolean not null default false;
