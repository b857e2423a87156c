-- core.raw_batch now belongs to this run.
INSERT INTO ops.core_batch (run_id, full_refresh) VALUES (%(run_id)s, %(full_refresh)s)
ON CONFLICT (singleton) DO UPDATE SET run_id = excluded.run_id, full_refresh = excluded.full_refresh,
                                      staged_at = now();
