select k.key_id, k.project_id, k.env, k.key_prefix, k.revoked_at is not null as revoked, p.allowed_origins
from ops.api_keys as k
join ops.projects as p using (project_id)
where k.key_hash = %(key_hash)s
