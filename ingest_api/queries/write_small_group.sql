-- A small group in one statement (one round trip, committed when it ends): the same deduplication
-- as claim_keys.sql + copy_events.sql, with the rows passed as one JSON array of row arrays.
WITH input AS (
    SELECT r->>0 AS project_id, r->>1 AS message_id, r->>2 AS type, r->>3 AS event,
           r->>4 AS anonymous_id, r->>5 AS user_id, r->>6 AS previous_id,
           (r->>7)::timestamptz AS event_timestamp, (r->>8)::timestamptz AS sent_at,
           (r->>9)::timestamptz AS received_at, (r->>10)::inet AS ip, r->>11 AS user_agent,
           r->>12 AS key_prefix, r->13 AS payload
    FROM jsonb_array_elements(%(events)s::jsonb) AS r
), claimed AS (
    INSERT INTO raw.event_keys (project_id, message_id, received_at)
    SELECT project_id, message_id, received_at FROM input
    ON CONFLICT DO NOTHING
    RETURNING project_id, message_id
), stored AS (
    INSERT INTO raw.events (project_id, message_id, type, event, anonymous_id, user_id, previous_id,
                            event_timestamp, sent_at, received_at, ip, user_agent, key_prefix, payload)
    SELECT i.* FROM input AS i JOIN claimed AS c USING (project_id, message_id)
)
INSERT INTO raw.rejected_events (project_id, received_at, reason, key_prefix, payload)
SELECT r->>0, (r->>1)::timestamptz, r->>2, r->>3, r->>4
FROM jsonb_array_elements(%(rejected)s::jsonb) AS r
