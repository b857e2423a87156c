-- A run announces itself: its own session lock (released by the server when the run's connection
-- closes, however the run ends) and a row saying who it is. %(ns)s is the namespace of run locks.
SELECT pg_advisory_lock(%(ns)s, hashtext(%(run_id)s));
INSERT INTO ops.core_runs (run_id, pid, host) VALUES (%(run_id)s, %(pid)s, %(host)s)
ON CONFLICT (run_id) DO UPDATE SET pid = excluded.pid, host = excluded.host, started_at = now();
