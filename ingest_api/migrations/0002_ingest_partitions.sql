-- ingest_api: partition upkeep safe under concurrent API workers, retention, quarantine index.

-- Same as in 0001, serialised by an advisory lock so two workers never create one partition twice.
create or replace function raw.ensure_event_partitions(from_month date, months_ahead integer default 3)
returns void language plpgsql as $$
DECLARE
    m date := date_trunc('month', from_month)::date;
    name text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('raw.ensure_event_partitions'));
    FOR i IN 0..months_ahead LOOP
        name := format('events_%s', to_char(m, 'YYYY_MM'));
        IF to_regclass(format('raw.%I', name)) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE raw.%I PARTITION OF raw.events FOR VALUES FROM (%L) TO (%L)',
                name, m, (m + interval '1 month')::date);
            EXECUTE format('CREATE INDEX ON raw.%I (project_id, received_at)', name);
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
END $$;

-- Retention: drop the monthly partitions of raw.events that end before the first day of the month
-- `keep_months` months ago (keep_months = 12 on 2025-06-15 keeps 2024-06 onwards), with their
-- dedup keys and quarantined events. Returns the names of the partitions dropped.
create function raw.drop_event_partitions(keep_months integer)
returns setof text language plpgsql as $$
DECLARE
    cutoff date := (date_trunc('month', now()) - make_interval(months => keep_months))::date;
    part record;
BEGIN
    IF keep_months IS NULL OR keep_months < 1 THEN
        RAISE EXCEPTION 'keep_months must be at least 1, got %', keep_months;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('raw.ensure_event_partitions'));
    FOR part IN
        SELECT c.relname
        FROM pg_inherits AS i
        JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'raw.events'::regclass
          AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
          AND (to_date(substr(c.relname, 8), 'YYYY_MM') + interval '1 month') <= cutoff
        ORDER BY c.relname
    LOOP
        EXECUTE format('DROP TABLE raw.%I', part.relname);
        RETURN NEXT part.relname;
    END LOOP;
    DELETE FROM raw.event_keys WHERE received_at < cutoff;
    DELETE FROM raw.rejected_events WHERE received_at < cutoff;
END $$;

create index rejected_events_project_received on raw.rejected_events (project_id, received_at);
