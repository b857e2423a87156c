-- query current_aliases
-- reads: core.user_aliases
select project_id, user_id, canonical_user_id from core.user_aliases;
