-- Who holds the core build lock (for the one line a refused run prints).
SELECT run_id, host, pid, holds_lock_since FROM ops.core_runs
WHERE holds_lock_since IS NOT NULL ORDER BY holds_lock_since LIMIT 1;
