-- The run that staged core.raw_batch, whether it is a full refresh, and whether that run is alive.
SELECT b.run_id, b.full_refresh, EXISTS (SELECT 1 FROM ops.core_runs r WHERE r.run_id = b.run_id)
FROM ops.core_batch b;
