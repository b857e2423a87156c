-- query run_stats
-- reads: batch_events, affected_devices, changed_events, core.run_users, device_events
-- What the run did (Dagster metadata and the benchmark).
SELECT (SELECT count(*) FROM batch_events) AS new_events,
       (SELECT count(*) FROM affected_devices) AS devices_recomputed,
       (SELECT count(*) FROM changed_events) AS held_events_rewritten,
       (SELECT count(*) FROM core.run_users) AS users_touched,
       (SELECT count(*) FROM device_events WHERE NOT is_new AND NOT is_context) AS held_events_read,
       (SELECT count(*) FROM affected_devices WHERE cut IS NOT NULL) AS devices_read_from_cut;
