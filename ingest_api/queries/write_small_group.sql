-- A small group in one statement (one round trip, committed when it ends): the same deduplication
-- as claim_keys.sql + copy_events.sql, with the rows passed as JSON arrays of objects whose keys are
-- the fields of ingest_api/rows.py (RawEvent, RejectedEvent); the tables give each column its type.
WITH input AS (
    SELECT {raw_event_columns}
    FROM jsonb_populate_recordset(NULL::raw.events, %(events)s::jsonb)
), claimed AS (
    INSERT INTO raw.event_keys (project_id, message_id, received_at)
    SELECT project_id, message_id, received_at FROM input
    ON CONFLICT DO NOTHING
    RETURNING project_id, message_id
), stored AS (
    INSERT INTO raw.events ({raw_event_columns})
    SELECT {raw_event_columns} FROM input JOIN claimed USING (project_id, message_id)
)
INSERT INTO raw.rejected_events ({rejected_event_columns})
SELECT {rejected_event_columns}
FROM jsonb_populate_recordset(NULL::raw.rejected_events, %(rejected)s::jsonb)
