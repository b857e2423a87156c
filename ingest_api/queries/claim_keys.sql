-- Deduplication on (project_id, message_id): claim the messageIds of a group in raw.event_keys and
-- return those already claimed (by an earlier request): their events are not stored again. The
-- writer then COPYs only the new events into raw.events, in the same transaction, so a retried
-- batch is stored once whatever partition it would land in.
WITH input AS (
    SELECT * FROM unnest(%(project_ids)b::text[], %(message_ids)b::text[], %(received_at)b::timestamptz[])
        AS t(project_id, message_id, received_at)
), claimed AS (
    INSERT INTO raw.event_keys (project_id, message_id, received_at)
    SELECT project_id, message_id, received_at FROM input
    ON CONFLICT DO NOTHING
    RETURNING project_id, message_id
)
SELECT i.project_id, i.message_id
FROM input AS i
LEFT JOIN claimed AS c USING (project_id, message_id)
WHERE c.message_id IS NULL
