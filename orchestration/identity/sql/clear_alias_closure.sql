-- step clear_alias_closure
-- writes: core.user_aliases, core.identity_merge_log
-- The alias closure and its merge-log rows are rewritten whole (they are small: one row per merged id).
TRUNCATE core.user_aliases;
DELETE FROM core.identity_merge_log WHERE id_kind = 'user';
