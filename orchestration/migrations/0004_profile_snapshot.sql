-- The set_once values of the last run whose profiles check passed (see core/checks.py).
create table ops.profile_set_once_snapshot (
    project_id   text not null,
    user_key     text not null,
    key          text not null,
    value        jsonb not null,
    source_at    timestamptz not null,   -- event time of the event the value came from
    primary key (project_id, user_key, key)
);
