SELECT k.key_id, k.project_id, k.env, k.key_prefix, k.revoked_at IS NOT NULL AS revoked, p.allowed_origins
FROM ops.api_keys AS k
JOIN ops.projects AS p USING (project_id)
WHERE k.key_hash = %(key_hash)s
