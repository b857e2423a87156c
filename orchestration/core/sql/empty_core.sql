-- step empty_core
-- writes: core.events, core.sessions, core.identity_edges, core.user_aliases, core.identity_map,
--         core.identity_merge_log, core.quarantined_events, core.data_quality_daily, ops.watermarks
-- params: watermark
--
-- A full refresh: empty everything core derives from raw (the lookups stay: they are per distinct value;
-- the profiles are replaced by build_profiles in its own transaction) and forget the watermark. Runs first
-- in build_core's transaction, so readers see the old core until the new one commits.
truncate core.events, core.sessions, core.identity_edges, core.user_aliases, core.identity_map,
         core.identity_merge_log, core.quarantined_events, core.data_quality_daily;
delete from ops.watermarks where name = %(watermark)s;
