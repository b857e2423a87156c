-- query current_aliases
-- reads: core.user_aliases
SELECT project_id, user_id, canonical_user_id FROM core.user_aliases;
