-- touchline_bi: the read-only role BI tools use. SELECT on schema `marts` only (not raw, ops,
-- core, staging or intermediate). It is a NOLOGIN group role: give each BI tool its own login in it,
--   CREATE ROLE metabase LOGIN PASSWORD '...' IN ROLE touchline_bi;
-- Idempotent; roles are cluster-wide, so creating it tolerates another database's migration
-- creating it at the same moment. dbt also grants SELECT on every mart it builds
-- (`+grants` in dbt_project/dbt_project.yml), so marts stay readable even when dbt runs as a
-- different user than this migration.
do $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'touchline_bi') THEN
        BEGIN
            CREATE ROLE touchline_bi NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created concurrently by another database's migration
        END;
    END IF;
END
$$;

do $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO touchline_bi', current_database());
END
$$;

-- The schema dbt writes the marts to; created here so the grants exist before the first dbt run.
create schema if not exists marts;
grant usage on schema marts to touchline_bi;
grant select on all tables in schema marts to touchline_bi;
-- Tables the migrating role (normally also dbt's) creates later in marts are readable too.
alter default privileges in schema marts grant select on tables to touchline_bi;
-- Nothing else is granted: no USAGE on raw, ops, core, staging or intermediate.
