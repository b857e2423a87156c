-- step finish_run
-- reads: assigned, core.raw_batch
-- writes: core.run_users, ops.watermarks
-- params: watermark (the name of core's watermark in ops.watermarks)
--
-- The users the recomputed events have now join those they had before (their profiles are rebuilt), and
-- the watermark moves to the newest receipt of the batch.
INSERT INTO core.run_users
SELECT DISTINCT project_id, user_key FROM assigned WHERE user_key IS NOT NULL AND NOT is_context
ON CONFLICT (project_id, user_key) DO NOTHING;

INSERT INTO ops.watermarks (name, value) SELECT %(watermark)s, max(received_at) FROM core.raw_batch
HAVING max(received_at) IS NOT NULL
ON CONFLICT (name) DO UPDATE SET value = greatest(ops.watermarks.value, excluded.value), updated_at = now();
