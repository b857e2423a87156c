-- Who holds the core build lock (for the one line a refused run prints).
select run_id, host, pid, holds_lock_since from ops.core_runs
where holds_lock_since is not null order by holds_lock_since limit 1;
