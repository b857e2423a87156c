-- The new raw events of this run: everything received since the watermark (minus a safety margin for
-- transactions that committed late) that core.events does not hold yet. One row per (project, messageId),
-- the earliest received copy. A full refresh stages all of raw: core is replaced later,
-- in the build's transaction.
DROP TABLE IF EXISTS core.raw_batch;
CREATE UNLOGGED TABLE core.raw_batch AS
SELECT DISTINCT ON (r.project_id, r.message_id) r.*
FROM raw.events r
WHERE r.received_at >= %(since)s
  AND (%(full_refresh)s OR NOT EXISTS (SELECT 1 FROM core.events e WHERE e.project_id = r.project_id AND e.message_id = r.message_id))
ORDER BY r.project_id, r.message_id, r.received_at;
ANALYZE core.raw_batch (project_id, message_id, anonymous_id, user_id, ip, user_agent);  -- not the payloads
