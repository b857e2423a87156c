-- Helpers for the core build: URL decoding and query parameters, indexes for incremental work.
create function core.url_decode(s text) returns text
language plpgsql immutable strict parallel safe as $$
BEGIN
    IF s !~ '[%+]' THEN
        RETURN s;
    END IF;
    RETURN convert_from(string_agg(
        CASE WHEN t.m[1] ~ '^%[0-9A-Fa-f]{2}$' THEN decode(substr(t.m[1], 2), 'hex')
             ELSE convert_to(replace(t.m[1], '+', ' '), 'UTF8') END, ''::bytea ORDER BY t.n), 'UTF8')
    FROM regexp_matches(s, '(%[0-9A-Fa-f]{2}|[^%]+|%)', 'g') WITH ORDINALITY AS t(m, n);
EXCEPTION WHEN others THEN
    RETURN s;  -- not valid percent-encoded UTF-8: keep the text as sent
END $$;

-- Value of query parameter `name` in `url` (first occurrence), decoded; empty values are null.
create function core.url_param(url text, name text) returns text
language sql immutable parallel safe as $$
    SELECT nullif(core.url_decode(substring(url FROM '[?&]' || name || '=([^&#]*)')), '')
$$;

create index events_device on core.events (project_id, device_id);
create index events_user_id on core.events (project_id, user_id) where user_id is not null;
create index events_user_key on core.events (project_id, user_key) where user_key is not null;
create index sessions_device on core.sessions (project_id, device_id);
