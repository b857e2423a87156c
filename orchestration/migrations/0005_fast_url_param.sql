-- url_decode opens its subtransaction (the exception block) only for text that needs decoding.
create or replace function core.url_decode(s text) returns text
language plpgsql immutable strict as $$
BEGIN
    IF s !~ '[%+]' THEN
        RETURN s;
    END IF;
    BEGIN
        RETURN convert_from(string_agg(
            CASE WHEN t.m[1] ~ '^%[0-9A-Fa-f]{2}$' THEN decode(substr(t.m[1], 2), 'hex')
                 ELSE convert_to(replace(t.m[1], '+', ' '), 'UTF8') END, ''::bytea ORDER BY t.n), 'UTF8')
        FROM regexp_matches(s, '(%[0-9A-Fa-f]{2}|[^%]+|%)', 'g') WITH ORDINALITY AS t(m, n);
    EXCEPTION WHEN others THEN
        RETURN s;  -- not valid percent-encoded UTF-8: keep the text as sent
    END;
END $$;

-- url_param as an inlinable SQL expression: the plpgsql decoder (with its exception block, a
-- subtransaction per call) runs only for values that hold '%' or '+'.
create or replace function core.url_param(url text, name text) returns text
language sql immutable parallel safe as $$
    SELECT nullif(CASE WHEN substring(url FROM '[?&]' || name || '=([^&#]*)') ~ '[%+]'
                       THEN core.url_decode(substring(url FROM '[?&]' || name || '=([^&#]*)'))
                       ELSE substring(url FROM '[?&]' || name || '=([^&#]*)') END, '')
$$;

-- The decoder's exception block opens a subtransaction, which a parallel query may not: say so.
alter function core.url_decode(text) parallel unsafe;
alter function core.url_param(text, text) parallel unsafe;
