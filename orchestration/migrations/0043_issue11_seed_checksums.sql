-- issue 11: an incremental dbt build leaves a seed alone when its file and config did not change
-- (dbt_project/macros/seed_unchanged.sql), instead of truncating and re-inserting it on every build.
--
-- The checksum of each dbt seed as dbt last loaded it, with the md5 of the table's rows right after the
-- load: a seed whose checksum and rows both match is left as is (anything else reloads it from the CSV).
-- Not ops.dbt_view_checksums: a table has no view text to compare, its rows are compared instead.
create table ops.dbt_seed_checksums (
    relation     text primary key,     -- schema.table
    checksum     text not null,        -- md5 of the rows dbt read from the CSV, the column names, config and docs
    content_md5  text not null,        -- md5 of the table's rows (sorted row texts) right after dbt loaded them
    updated_at   timestamptz not null default now()
);
