-- step stage_batch
-- reads: raw.events, core.events, core.quarantined_events, ops.projects
-- writes: core.raw_batch
-- params: since (received_at lower bound: the watermark minus the safety margin),
--         full_refresh (stage all of raw whatever core holds; core is replaced in the build transaction)
--
-- The new raw events of this run: everything received since the watermark that core holds neither as an
-- event nor in the quarantine. One row per (project, messageId), the earliest received copy. Identifier
-- values the project blocks (ops.projects.blocked_identifiers, compared trimmed and lower-cased; values
-- made only of zeros and dashes, and empty ones, always) are taken as absent and listed in
-- blocked_identifiers; raw keeps what was sent. A row the pipeline cannot take gets a quarantine reason.
TRUNCATE core.raw_batch;
INSERT INTO core.raw_batch
WITH received AS (
    SELECT DISTINCT ON (r.project_id, r.message_id) r.*
    FROM raw.events r
    WHERE r.received_at >= %(since)s
      AND (%(full_refresh)s OR (
          NOT EXISTS (SELECT 1 FROM core.events e WHERE e.project_id = r.project_id AND e.message_id = r.message_id)
          AND NOT EXISTS (SELECT 1 FROM core.quarantined_events q
                          WHERE q.project_id = r.project_id AND q.message_id = r.message_id)))
    ORDER BY r.project_id, r.message_id, r.received_at
), screened AS (
    SELECT r.*, ids.*
    FROM received r
    LEFT JOIN ops.projects p ON p.project_id = r.project_id
    CROSS JOIN LATERAL (
        SELECT core.usable_identifier(r.anonymous_id, blocked.ids) AS kept_anonymous_id,
               core.usable_identifier(r.user_id, blocked.ids) AS kept_user_id,
               core.usable_identifier(r.previous_id, blocked.ids) AS kept_previous_id
        FROM (SELECT coalesce(p.blocked_identifiers, ops.default_blocked_identifiers()) AS ids) blocked
    ) ids
)
SELECT project_id, message_id, type, event, kept_anonymous_id, kept_user_id, kept_previous_id, event_timestamp,
       sent_at, received_at, ip, user_agent, key_prefix, payload,
       array_remove(ARRAY[CASE WHEN kept_anonymous_id IS NULL THEN anonymous_id END,
                          CASE WHEN kept_user_id IS NULL THEN user_id END,
                          CASE WHEN kept_previous_id IS NULL THEN previous_id END], NULL) AS blocked_identifiers,
       CASE WHEN type NOT IN ('page', 'screen', 'track', 'identify', 'alias', 'group') THEN 'unknown_type'
            WHEN kept_anonymous_id IS NULL AND kept_user_id IS NULL THEN 'no_usable_identifier'
            WHEN type = 'track' AND coalesce(event, '') = '' THEN 'track_without_event'
            WHEN type = 'alias' AND kept_user_id IS NULL THEN 'alias_without_user_id'
            WHEN type = 'alias' AND kept_previous_id IS NULL THEN 'alias_without_previous_id'
            WHEN received_at > now() + interval '5 minutes' THEN 'received_in_future'
            WHEN jsonb_typeof(payload) <> 'object' THEN 'payload_not_an_object'
       END AS quarantine_reason
FROM screened;
ANALYZE core.raw_batch (project_id, message_id, anonymous_id, user_id, ip, user_agent, quarantine_reason);  -- not the payloads
