-- The set_once values of the last run whose profiles check passed (see core/checks.py).
CREATE TABLE ops.profile_set_once_snapshot (
    project_id   text NOT NULL,
    user_key     text NOT NULL,
    key          text NOT NULL,
    value        jsonb NOT NULL,
    source_at    timestamptz NOT NULL,   -- event time of the event the value came from
    PRIMARY KEY (project_id, user_key, key)
);
