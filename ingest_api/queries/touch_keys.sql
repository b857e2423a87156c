update ops.api_keys set last_used_at = %(used_at)s
where key_id = any(%(key_ids)s) and (last_used_at is null or last_used_at < %(used_at)s)
