-- Runs of the core build (orchestration/run_lock.py).
-- ops.core_runs: one row per live run that took part in the core build; the run also holds a session
-- advisory lock of its own, so a row whose lock is free belongs to a run that died (killed, crashed,
-- machine lost): the next run or the reconcile sensor marks it failed in Dagster and deletes the row.
create table if not exists ops.core_runs (
    run_id      text primary key,
    pid         integer not null,
    host        text not null,
    started_at  timestamptz not null default now(),
    holds_lock_since timestamptz            -- set while the run holds the one core build lock
);
-- ops.core_batch: which run staged core.raw_batch, and whether that run is a full refresh. The steps
-- after staging check that the batch is their run's, so two runs' batches can never mix.
create table if not exists ops.core_batch (
    singleton    boolean primary key default true check (singleton),
    run_id       text not null,
    full_refresh boolean not null,
    staged_at    timestamptz not null default now()
);
