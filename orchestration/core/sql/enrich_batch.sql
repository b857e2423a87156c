-- core.raw_batch -> temp table batch_events: clock-corrected, parsed (page, UTM, click ids),
-- classified (referrer class, channel: rules compiled from enrichment/traffic_rules.yaml) and enriched
-- (geo, device). Session and user columns come later (sessionize.sql). The classification CTEs are
-- MATERIALIZED so that the channel rules read each class once per row instead of re-evaluating it.
CREATE TEMP TABLE batch_events ON COMMIT DROP AS
WITH base AS (
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
        coalesce(r.payload#>>'{context,page,url}', r.payload#>>'{properties,url}') AS page_url,
        coalesce(r.payload#>>'{context,page,path}', r.payload#>>'{properties,path}') AS page_path_sent,
        coalesce(r.payload#>>'{context,page,title}', r.payload#>>'{properties,title}') AS page_title,
        nullif(coalesce(r.payload#>>'{context,page,referrer}', r.payload#>>'{properties,referrer}'), '') AS page_referrer,
        CASE WHEN jsonb_typeof(r.payload#>'{context,campaign}') = 'object' THEN r.payload#>'{context,campaign}' END AS campaign,
        substring(coalesce(r.payload#>>'{context,page,url}', r.payload#>>'{properties,url}') FROM '\?[^#]*') AS page_query,
        r.ip, r.user_agent
    FROM core.raw_batch r
), parsed AS (
    SELECT b.*,
        regexp_replace(lower(substring(page_url FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)')), '^www\.', '') AS page_host,
        regexp_replace(lower(substring(page_referrer FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)')), '^www\.', '') AS referrer_host,
        coalesce(nullif(page_path_sent, ''), nullif(substring(page_url FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)'), ''), CASE WHEN page_url IS NOT NULL THEN '/' END) AS page_path,
        coalesce(nullif(campaign->>'source', ''), CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'utm_source') END) AS utm_source,
        coalesce(nullif(campaign->>'medium', ''), CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'utm_medium') END) AS utm_medium,
        coalesce(nullif(campaign->>'name', ''), nullif(campaign->>'campaign', ''), CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'utm_campaign') END) AS utm_campaign,
        coalesce(nullif(campaign->>'term', ''), CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'utm_term') END) AS utm_term,
        coalesce(nullif(campaign->>'content', ''), CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'utm_content') END) AS utm_content,
        coalesce(nullif(campaign->>'id', ''), CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'utm_id') END) AS utm_id,
        CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'gclid') END AS gclid,
        CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'gbraid') END AS gbraid,
        CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'wbraid') END AS wbraid,
        CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'fbclid') END AS fbclid,
        CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'msclkid') END AS msclkid,
        CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'ttclid') END AS ttclid,
        CASE WHEN page_query IS NOT NULL THEN core.url_param(page_query, 'li_fat_id') END AS li_fat_id
    FROM base b
), with_referrer AS MATERIALIZED (
    SELECT p.*, {{referrer_class}} AS referrer_class FROM parsed p
), with_source AS MATERIALIZED (
    SELECT w.*, {{source_class}} AS source_class FROM with_referrer w
)
SELECT
    s.project_id, s.message_id, s.event_type, s.event_name, s.anonymous_id, s.user_id, s.previous_id,
    coalesce(s.anonymous_id, s.user_id) AS device_id,
    s.event_at, (s.event_at AT TIME ZONE 'UTC')::date AS event_date, s.received_at, s.sent_at,
    s.properties, s.traits, s.page_url, s.page_path, s.page_title, s.page_referrer, s.referrer_host,
    g.ip_truncated, g.country_code, g.country, g.region, g.city, g.time_zone, g.latitude, g.longitude,
    extract(hour FROM s.event_at AT TIME ZONE g.time_zone)::smallint AS local_hour,
    extract(isodow FROM s.event_at AT TIME ZONE g.time_zone)::smallint AS local_weekday,
    d.browser, d.browser_version, d.os, d.os_version, d.device_type, coalesce(d.is_bot, false) AS is_bot,
    s.utm_source, s.utm_medium, s.utm_campaign, s.utm_term, s.utm_content, s.utm_id,
    s.gclid, s.gbraid, s.wbraid, s.fbclid, s.msclkid, s.ttclid, s.li_fat_id,
    s.referrer_class, {{channel}} AS channel
FROM with_source s
LEFT JOIN core.geo_lookup g ON g.ip = s.ip
LEFT JOIN core.device_lookup d ON d.user_agent = s.user_agent
WHERE coalesce(s.anonymous_id, s.user_id) IS NOT NULL;
