-- A run announces itself: its own session lock (released by the server when the run's connection
-- closes, however the run ends) and a row saying who it is. %(ns)s is the namespace of run locks.
select pg_advisory_lock(%(ns)s, hashtext(%(run_id)s));
insert into ops.core_runs (run_id, pid, host) values (%(run_id)s, %(pid)s, %(host)s)
on conflict (run_id) do update set pid = excluded.pid, host = excluded.host, started_at = now();
