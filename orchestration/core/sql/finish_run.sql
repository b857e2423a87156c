-- step finish_run
-- reads: assigned, core.raw_batch
-- writes: core.run_users, ops.watermarks
-- params: watermark (the name of core's watermark in ops.watermarks)
--
-- The users the recomputed events have now join those they had before (their profiles are rebuilt), and
-- the watermark moves to the newest receipt of the batch.
insert into core.run_users
select distinct project_id, user_key from assigned where user_key is not null and not is_context
on conflict (project_id, user_key) do nothing;

insert into ops.watermarks (name, value) select %(watermark)s, max(received_at) from core.raw_batch
having max(received_at) is not null
on conflict (name) do update set value = greatest(ops.watermarks.value, excluded.value), updated_at = now();
