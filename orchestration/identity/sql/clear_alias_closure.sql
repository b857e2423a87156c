-- step clear_alias_closure
-- writes: core.user_aliases, core.identity_merge_log
-- The alias closure and its merge-log rows are rewritten whole (they are small: one row per merged id).
truncate core.user_aliases;
delete from core.identity_merge_log where id_kind = 'user';
