-- step enrich_batch
-- reads: core.raw_batch, ops.projects, core.geo_lookup, core.device_lookup
-- creates: batch_base, batch_traffic, batch_events
-- fragments: {{referrer_class}}, {{source_class}}, {{channel}} (compiled from enrichment/traffic_rules.yaml),
--            {{campaign_parameters}} (enrichment/traffic.py)
--
-- core.raw_batch (its rows without a quarantine reason) -> batch_events: event time taken by rule,
-- parsed (page, UTM, click ids), classified (referrer class, channel) and enriched (geo, device; bot and
-- server flags). Session and user columns come later (sessionize.sql).
-- Event time: receivedAt - (sentAt - timestamp) when sentAt is present (skew_corrected), else the timestamp
-- (client); a time later than receipt by over a minute (clamped_future), before 2000-01-01 or older than the
-- project's max_event_age_days before receipt (clamped_past; an import keeps an old time) takes the receipt
-- time, as does an event without a timestamp (received).
-- Traits: identify's traits (or its context.traits), PostHog's $set / $set_once; context.traits of other
-- events only when the project's traits_from_context says so.
-- URL parsing and classification run once per distinct (page URL, referrer, campaign) of the batch
-- (batch_traffic), not per event: a million events hold some 80 thousand of them. The classification CTEs
-- are MATERIALIZED so that the channel rules read each class once instead of re-evaluating it.
-- An empty page URL or referrer counts as none ('' is the join key for both).
CREATE TEMP TABLE batch_base ON COMMIT DROP AS
SELECT
    t.project_id, t.message_id, t.event_type, t.event_name, t.anonymous_id, t.user_id, t.previous_id,
    CASE WHEN t.time_source IN ('client', 'skew_corrected') THEN t.client_at ELSE t.received_at END AS event_at,
    t.time_source AS event_time_source, t.received_at, t.sent_at, t.properties,
    coalesce(t.traits, CASE WHEN t.traits_set_once IS NOT NULL THEN '{}'::jsonb END) AS traits, t.traits_set_once,
    t.url_key, t.page_path_sent, t.page_title, t.referrer_key, t.campaign, t.ip, t.user_agent, t.blocked_identifiers
FROM (
    SELECT c.*,
           CASE WHEN c.client_at IS NULL THEN 'received'
                WHEN c.client_at > c.received_at + interval '1 minute' THEN 'clamped_future'
                WHEN c.client_at < '2000-01-01T00:00:00Z'
                  OR (c.client_at < c.received_at - make_interval(days => c.max_event_age_days) AND NOT c.is_import)
                     THEN 'clamped_past'
                WHEN c.sent_at IS NOT NULL THEN 'skew_corrected'
                ELSE 'client' END AS time_source
    FROM (
        SELECT
            r.project_id, r.message_id, r.type AS event_type,
            CASE WHEN r.type = 'track' THEN r.event
                 WHEN r.type IN ('page', 'screen') THEN coalesce(nullif(r.payload->>'name', ''), nullif(r.event, ''), r.type)
                 ELSE r.type END AS event_name,
            nullif(r.anonymous_id, '') AS anonymous_id,
            nullif(r.user_id, '') AS user_id,
            nullif(r.previous_id, '') AS previous_id,
            CASE WHEN r.sent_at IS NOT NULL AND r.event_timestamp IS NOT NULL
                      AND r.sent_at - r.event_timestamp BETWEEN interval '-100 years' AND interval '100 years'
                 THEN r.received_at - (r.sent_at - r.event_timestamp)
                 ELSE r.event_timestamp END AS client_at,
            r.received_at, r.sent_at,
            coalesce(p.max_event_age_days, 3650) AS max_event_age_days,
            r.payload @> '{"context": {"touchline": {"import": true}}}' AS is_import,
            r.payload->'properties' AS properties,
            CASE WHEN r.type = 'identify' THEN coalesce(core.json_object(r.payload->'traits'),
                                                        core.json_object(r.payload#>'{context,traits}'),
                                                        core.json_object(r.payload#>'{properties,$set}'))
                 ELSE coalesce(core.json_object(r.payload#>'{properties,$set}'),
                               CASE WHEN p.traits_from_context THEN core.json_object(r.payload#>'{context,traits}') END)
                 END AS traits,
            core.json_object(r.payload#>'{properties,$set_once}') AS traits_set_once,
            coalesce(r.payload#>>'{context,page,url}', r.payload#>>'{properties,url}', '') AS url_key,
            coalesce(r.payload#>>'{context,page,path}', r.payload#>>'{properties,path}') AS page_path_sent,
            coalesce(r.payload#>>'{context,page,title}', r.payload#>>'{properties,title}') AS page_title,
            coalesce(r.payload#>>'{context,page,referrer}', r.payload#>>'{properties,referrer}', '') AS referrer_key,
            coalesce(core.json_object(r.payload#>'{context,campaign}'), '{}'::jsonb) AS campaign,
            r.ip, r.user_agent, r.blocked_identifiers
        FROM core.raw_batch r
        LEFT JOIN ops.projects p ON p.project_id = r.project_id
        WHERE r.quarantine_reason IS NULL
    ) c
) t;
ANALYZE batch_base (url_key, referrer_key, ip, user_agent);

CREATE TEMP TABLE batch_traffic ON COMMIT DROP AS
WITH traffic AS (
    SELECT DISTINCT url_key, referrer_key, campaign FROM batch_base
), parsed AS (
    SELECT t.*,
        regexp_replace(lower(substring(t.url_key FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)')), '^www\.', '') AS page_host,
        regexp_replace(lower(substring(t.referrer_key FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)')), '^www\.', '') AS referrer_host,
        coalesce(nullif(campaign->>'source', ''), nullif(q.params->>'utm_source', '')) AS utm_source,
        coalesce(nullif(campaign->>'medium', ''), nullif(q.params->>'utm_medium', '')) AS utm_medium,
        coalesce(nullif(campaign->>'name', ''), nullif(campaign->>'campaign', ''), nullif(q.params->>'utm_campaign', '')) AS utm_campaign,
        coalesce(nullif(campaign->>'term', ''), nullif(q.params->>'utm_term', '')) AS utm_term,
        coalesce(nullif(campaign->>'content', ''), nullif(q.params->>'utm_content', '')) AS utm_content,
        coalesce(nullif(campaign->>'id', ''), nullif(q.params->>'utm_id', '')) AS utm_id,
        nullif(q.params->>'gclid', '') AS gclid,
        nullif(q.params->>'gbraid', '') AS gbraid,
        nullif(q.params->>'wbraid', '') AS wbraid,
        nullif(q.params->>'fbclid', '') AS fbclid,
        nullif(q.params->>'msclkid', '') AS msclkid,
        nullif(q.params->>'ttclid', '') AS ttclid,
        nullif(q.params->>'li_fat_id', '') AS li_fat_id
    FROM traffic t CROSS JOIN LATERAL (
        -- the query's campaign parameters in one pass: the first occurrence of a name wins,
        -- percent-decoding only runs on values that need it
        SELECT jsonb_object_agg(m.kv[1], CASE WHEN m.kv[2] ~ '[%+]' THEN core.url_decode(m.kv[2]) ELSE m.kv[2] END
                                ORDER BY m.n DESC) AS params
        FROM regexp_matches(substring(t.url_key FROM '\?[^#]*'), '[?&]([^=&#]+)=([^&#]*)', 'g') WITH ORDINALITY AS m(kv, n)
        WHERE m.kv[1] IN ({{campaign_parameters}})
    ) q
), with_referrer AS MATERIALIZED (
    SELECT p.*, {{referrer_class}} AS referrer_class FROM parsed p
), with_source AS MATERIALIZED (
    SELECT w.*, {{source_class}} AS source_class FROM with_referrer w
)
SELECT s.url_key, s.referrer_key, s.campaign, s.referrer_host, s.utm_source, s.utm_medium, s.utm_campaign, s.utm_term,
       s.utm_content, s.utm_id, s.gclid, s.gbraid, s.wbraid, s.fbclid, s.msclkid, s.ttclid, s.li_fat_id,
       s.referrer_class, {{channel}} AS channel
FROM with_source s;
ANALYZE batch_traffic;

-- The planner misjudges the three-column join (it expects 15 times too many rows) and sorts a million
-- wide rows for a merge join; hashing the small batch_traffic side is always the right plan here.
SET LOCAL enable_mergejoin = off;
CREATE TEMP TABLE batch_events ON COMMIT DROP AS
SELECT
    b.project_id, b.message_id, b.event_type, b.event_name, b.anonymous_id, b.user_id, b.previous_id,
    coalesce(b.anonymous_id, b.user_id) AS device_id,
    b.event_at, (b.event_at AT TIME ZONE 'UTC')::date AS event_date, b.event_time_source, b.received_at, b.sent_at,
    b.properties, b.traits, b.traits_set_once, b.blocked_identifiers, nullif(b.url_key, '') AS page_url,
    coalesce(nullif(b.page_path_sent, ''), nullif(substring(b.url_key FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)'), ''),
             CASE WHEN b.url_key <> '' THEN '/' END) AS page_path,
    b.page_title, nullif(b.referrer_key, '') AS page_referrer, c.referrer_host,
    g.ip_truncated, g.country_code, g.country, g.region, g.city, g.time_zone, g.latitude, g.longitude,
    extract(hour FROM b.event_at AT TIME ZONE g.time_zone)::smallint AS local_hour,
    extract(isodow FROM b.event_at AT TIME ZONE g.time_zone)::smallint AS local_weekday,
    d.browser, d.browser_version, d.os, d.os_version, d.device_type, coalesce(d.is_bot, false) AS is_bot,
    coalesce(d.is_server, true) AS is_server_event,  -- no user agent: a server event
    c.utm_source, c.utm_medium, c.utm_campaign, c.utm_term, c.utm_content, c.utm_id,
    c.gclid, c.gbraid, c.wbraid, c.fbclid, c.msclkid, c.ttclid, c.li_fat_id,
    c.referrer_class, c.channel
FROM batch_base b
JOIN batch_traffic c ON c.url_key = b.url_key AND c.referrer_key = b.referrer_key AND c.campaign = b.campaign
LEFT JOIN core.geo_lookup g ON g.ip = b.ip
LEFT JOIN core.device_lookup d ON d.user_agent = b.user_agent;
RESET enable_mergejoin;
ANALYZE batch_events (project_id, message_id, device_id, anonymous_id, user_id);
