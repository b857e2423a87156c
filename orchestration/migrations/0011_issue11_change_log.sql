-- The change log: what each core build changed, for the marts to follow core exactly (issue 11).
--
-- Core (orchestration/core/sql/change_log.sql, at the end of every build, in the build's transaction)
-- appends the persons and sessions the run touched, whatever their dates; dbt's incremental marts
-- recompute exactly those (dbt_project/macros/change_log.sql) and record in ops.mart_watermarks the
-- last sequence each mart consumed. `seq` grows in commit order: the writer locks the table until its
-- transaction commits, so a reader that sees seq N has every change below N.
create table core.change_log (
    seq         bigint generated always as identity primary key,
    project_id  text not null,        -- '*' with kind 'all'
    kind        text not null check (kind in ('all', 'person', 'session')),
    entity_id   text,                 -- person: blended_user_id; session: session_id; all: null
    day         date,                 -- session: its UTC start day, before and after the run (one row each)
    logged_at   timestamptz not null default now()
);
comment on table core.change_log is
    'Persons and sessions each core build touched (kind all: core was rebuilt, every mart recomputes everything).';

-- dbt side: the last change_log.seq each incremental mart has consumed (written by the mart's post-hook).
create table ops.mart_watermarks (
    mart          text primary key,
    consumed_seq  bigint not null,
    updated_at    timestamptz not null default now()
);

-- dbt side: the change_log.seq a dbt invocation reads up to (on-run-start), the same for every mart of
-- the invocation.
create table ops.dbt_change_bounds (
    invocation_id  text primary key,
    bound_seq      bigint not null,
    started_at     timestamptz not null default now()
);
