-- query alias_edges
-- reads: core.identity_edges
select project_id, from_id, to_user_id, first_seen_at, first_message_id
from core.identity_edges where kind = 'alias';
