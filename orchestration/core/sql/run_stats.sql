-- query run_stats
-- reads: batch_events, affected_devices, changed_events, core.run_users, device_events
-- What the run did (Dagster metadata and the benchmark).
select (select count(*) from batch_events) as new_events,
       (select count(*) from affected_devices) as devices_recomputed,
       (select count(*) from changed_events) as held_events_rewritten,
       (select count(*) from core.run_users) as users_touched,
       (select count(*) from device_events where not is_new and not is_context) as held_events_read,
       (select count(*) from affected_devices where cut is not null) as devices_read_from_cut;
