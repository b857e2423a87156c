-- Helpers for the core build: URL decoding and query parameters, indexes for incremental work.
CREATE FUNCTION core.url_decode(s text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
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
CREATE FUNCTION core.url_param(url text, name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT nullif(core.url_decode(substring(url FROM '[?&]' || name || '=([^&#]*)')), '')
$$;

CREATE INDEX events_device ON core.events (project_id, device_id);
CREATE INDEX events_user_id ON core.events (project_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX events_user_key ON core.events (project_id, user_key) WHERE user_key IS NOT NULL;
CREATE INDEX sessions_device ON core.sessions (project_id, device_id);
