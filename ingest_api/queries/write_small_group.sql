-- A small group in one statement (one round trip, committed when it ends): the same deduplication
-- as claim_keys.sql + copy_events.sql. The rows come as one JSON array of row arrays in the field order of
-- ingest_api/rows.py's RawEvent, which is the column order of raw.events: the ROW picks the fields out of
-- a row array by position and its cast to raw.events gives each its column's type.
WITH input AS MATERIALIZED (
    SELECT ROW({raw_event_fields})::raw.events AS e
    FROM jsonb_array_elements(%(events)s::jsonb) AS r
), claimed AS (
    INSERT INTO raw.event_keys (project_id, message_id, received_at)
    SELECT (e).project_id, (e).message_id, (e).received_at FROM input
    ON CONFLICT DO NOTHING
    RETURNING project_id, message_id
), stored AS (
    INSERT INTO raw.events ({raw_event_columns})
    SELECT (i.e).* FROM input AS i
    JOIN claimed AS c ON c.project_id = (i.e).project_id AND c.message_id = (i.e).message_id
)
INSERT INTO raw.rejected_events ({rejected_event_columns})
SELECT {rejected_event_columns}
FROM json_populate_recordset(NULL::raw.rejected_events, %(rejected)s::json)
