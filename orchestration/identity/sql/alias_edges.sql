-- query alias_edges
-- reads: core.identity_edges
SELECT project_id, from_id, to_user_id, first_seen_at, first_message_id
FROM core.identity_edges WHERE kind = 'alias';
