UPDATE ops.api_keys SET last_used_at = %(used_at)s
WHERE key_id = ANY(%(key_ids)s) AND (last_used_at IS NULL OR last_used_at < %(used_at)s)
