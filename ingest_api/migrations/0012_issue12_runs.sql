-- Runs of the core build (orchestration/run_lock.py).
-- ops.core_runs: one row per live run that took part in the core build; the run also holds a session
-- advisory lock of its own, so a row whose lock is free belongs to a run that died (killed, crashed,
-- machine lost): the next run or the reconcile sensor marks it failed in Dagster and deletes the row.
CREATE TABLE IF NOT EXISTS ops.core_runs (
    run_id      text PRIMARY KEY,
    pid         integer NOT NULL,
    host        text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    holds_lock_since timestamptz            -- set while the run holds the one core build lock
);
-- ops.core_batch: which run staged core.raw_batch, and whether that run is a full refresh. The steps
-- after staging check that the batch is their run's, so two runs' batches can never mix.
CREATE TABLE IF NOT EXISTS ops.core_batch (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    run_id       text NOT NULL,
    full_refresh boolean NOT NULL,
    staged_at    timestamptz NOT NULL DEFAULT now()
);
