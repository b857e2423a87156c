-- Incremental dbt builds test what they changed, and skip views that did not change (issue 11).
--
-- test_from_seq: the change_log.seq after which this invocation's data tests check rows (on-run-start,
-- dbt_project/macros/change_log.sql `freeze_change_bound`); null: the invocation tests whole tables
-- (a full refresh, no passing test run yet, a mart without a watermark, or core rebuilt in the range).
alter table ops.dbt_change_bounds add column test_from_seq bigint;

-- The definition checksum of each dbt view as dbt last created it (dbt_project/macros/view_replace.sql),
-- with the md5 of PostgreSQL's text of that view: a view whose checksum and text both match is left as is.
create table ops.dbt_view_checksums (
    relation     text primary key,     -- schema.view
    checksum     text not null,        -- md5 of the compiled SQL, docs and grants
    viewdef_md5  text not null,        -- md5(pg_get_viewdef(view)) right after dbt created it
    updated_at   timestamptz not null default now()
);
