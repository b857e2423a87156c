-- step identity_edges
-- reads: batch_events
-- writes: core.identity_edges
--
-- Explicit identity signals of this batch: an anonymousId seen with a userId (identify or any event
-- carrying both), and alias previousId -> userId. Never IP or fingerprint.
INSERT INTO core.identity_edges AS ie (project_id, from_id, to_user_id, kind, first_seen_at, last_seen_at, first_message_id)
SELECT project_id, from_id, to_user_id, kind, min(event_at), max(event_at),
       (array_agg(message_id ORDER BY event_at, received_at, message_id))[1]
FROM (
    SELECT project_id, anonymous_id AS from_id, user_id AS to_user_id, 'anonymous' AS kind, event_at, received_at, message_id
    FROM batch_events WHERE anonymous_id IS NOT NULL AND user_id IS NOT NULL AND NOT is_bot
    UNION ALL
    SELECT project_id, previous_id, user_id, 'alias', event_at, received_at, message_id
    FROM batch_events WHERE event_type = 'alias' AND previous_id IS NOT NULL AND user_id IS NOT NULL
      AND previous_id <> user_id
) s
GROUP BY project_id, from_id, to_user_id, kind
ON CONFLICT (project_id, kind, from_id, to_user_id) DO UPDATE SET
    first_message_id = CASE WHEN (excluded.first_seen_at, excluded.first_message_id) < (ie.first_seen_at, ie.first_message_id)
                            THEN excluded.first_message_id ELSE ie.first_message_id END,
    first_seen_at = least(ie.first_seen_at, excluded.first_seen_at),
    last_seen_at = greatest(ie.last_seen_at, excluded.last_seen_at);
