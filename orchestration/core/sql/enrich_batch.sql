-- core.raw_batch -> temp table batch_events: clock-corrected, parsed (page, UTM, click ids),
-- classified (referrer class, channel: rules compiled from enrichment/traffic_rules.yaml) and enriched
-- (geo, device). Session and user columns come later (sessionize.sql).
-- URL parsing and classification run once per distinct (page URL, referrer, campaign) of the batch
-- (batch_traffic), not per event: a million events hold some 80 thousand of them. The classification CTEs
-- are MATERIALIZED so that the channel rules read each class once instead of re-evaluating it.
-- An empty page URL or referrer counts as none ('' is the join key for both).
CREATE TEMP TABLE batch_base ON COMMIT DROP AS
SELECT
    r.project_id, r.message_id, r.type AS event_type,
    CASE WHEN r.type = 'track' THEN r.event
         WHEN r.type IN ('page', 'screen') THEN coalesce(nullif(r.payload->>'name', ''), nullif(r.event, ''), r.type)
         ELSE r.type END AS event_name,
    nullif(r.anonymous_id, '') AS anonymous_id,
    nullif(r.user_id, '') AS user_id,
    nullif(r.previous_id, '') AS previous_id,
    CASE WHEN r.sent_at IS NOT NULL AND r.event_timestamp IS NOT NULL
         THEN r.received_at - (r.sent_at - r.event_timestamp)
         ELSE coalesce(r.event_timestamp, r.received_at) END AS event_at,
    r.received_at, r.sent_at,
    r.payload->'properties' AS properties,
    CASE WHEN jsonb_typeof(r.payload->'traits') = 'object' THEN r.payload->'traits'
         WHEN jsonb_typeof(r.payload#>'{context,traits}') = 'object' THEN r.payload#>'{context,traits}' END AS traits,
    coalesce(r.payload#>>'{context,page,url}', r.payload#>>'{properties,url}', '') AS url_key,
    coalesce(r.payload#>>'{context,page,path}', r.payload#>>'{properties,path}') AS page_path_sent,
    coalesce(r.payload#>>'{context,page,title}', r.payload#>>'{properties,title}') AS page_title,
    coalesce(r.payload#>>'{context,page,referrer}', r.payload#>>'{properties,referrer}', '') AS referrer_key,
    coalesce(CASE WHEN jsonb_typeof(r.payload#>'{context,campaign}') = 'object' THEN r.payload#>'{context,campaign}' END,
             '{}'::jsonb) AS campaign,
    r.ip, r.user_agent
FROM core.raw_batch r
WHERE coalesce(nullif(r.anonymous_id, ''), nullif(r.user_id, '')) IS NOT NULL;
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
        WHERE m.kv[1] IN ('utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'utm_id',
                          'gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id')
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
    b.event_at, (b.event_at AT TIME ZONE 'UTC')::date AS event_date, b.received_at, b.sent_at,
    b.properties, b.traits, nullif(b.url_key, '') AS page_url,
    coalesce(nullif(b.page_path_sent, ''), nullif(substring(b.url_key FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)'), ''),
             CASE WHEN b.url_key <> '' THEN '/' END) AS page_path,
    b.page_title, nullif(b.referrer_key, '') AS page_referrer, c.referrer_host,
    g.ip_truncated, g.country_code, g.country, g.region, g.city, g.time_zone, g.latitude, g.longitude,
    extract(hour FROM b.event_at AT TIME ZONE g.time_zone)::smallint AS local_hour,
    extract(isodow FROM b.event_at AT TIME ZONE g.time_zone)::smallint AS local_weekday,
    d.browser, d.browser_version, d.os, d.os_version, d.device_type, coalesce(d.is_bot, false) AS is_bot,
    c.utm_source, c.utm_medium, c.utm_campaign, c.utm_term, c.utm_content, c.utm_id,
    c.gclid, c.gbraid, c.wbraid, c.fbclid, c.msclkid, c.ttclid, c.li_fat_id,
    c.referrer_class, c.channel
FROM batch_base b
JOIN batch_traffic c ON c.url_key = b.url_key AND c.referrer_key = b.referrer_key AND c.campaign = b.campaign
LEFT JOIN core.geo_lookup g ON g.ip = b.ip
LEFT JOIN core.device_lookup d ON d.user_agent = b.user_agent;
RESET enable_mergejoin;
