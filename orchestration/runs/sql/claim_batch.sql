-- core.raw_batch now belongs to this run.
insert into ops.core_batch (run_id, full_refresh) values (%(run_id)s, %(full_refresh)s)
on conflict (singleton) do update set run_id = excluded.run_id, full_refresh = excluded.full_refresh,
                                      staged_at = now();
