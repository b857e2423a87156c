-- step full_refresh
-- writes: core.events, core.sessions, core.identity_edges, core.user_aliases, core.identity_map,
--         core.identity_merge_log, core.user_profiles, core.quarantined_events, core.data_quality_daily,
--         ops.watermarks
-- params: watermark
--
-- Empty everything core derives from raw (the lookups stay: they are per distinct value) and forget the
-- watermark, so the next run stages all of raw.
TRUNCATE core.events, core.sessions, core.identity_edges, core.user_aliases, core.identity_map,
         core.identity_merge_log, core.user_profiles, core.quarantined_events, core.data_quality_daily;
DELETE FROM ops.watermarks WHERE name = %(watermark)s;
