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
create temp table batch_base on commit drop as
select
    t.project_id, t.message_id, t.event_type, t.event_name, t.anonymous_id, t.user_id, t.previous_id,
    case when t.time_source in ('client', 'skew_corrected') then t.client_at else t.received_at end as event_at,
    t.time_source as event_time_source, t.received_at, t.sent_at, t.properties,
    coalesce(t.traits, case when t.traits_set_once is not null then '{}'::jsonb end) as traits, t.traits_set_once,
    t.url_key, t.page_path_sent, t.page_title, t.referrer_key, t.campaign, t.ip, t.user_agent, t.blocked_identifiers
from (
    select c.*,
           case when c.client_at is null then 'received'
                when c.client_at > c.received_at + interval '1 minute' then 'clamped_future'
                when c.client_at < '2000-01-01T00:00:00Z'
                  or (c.client_at < c.received_at - make_interval(days => c.max_event_age_days) and not c.is_import)
                     then 'clamped_past'
                when c.sent_at is not null then 'skew_corrected'
                else 'client' end as time_source
    from (
        select
            r.project_id, r.message_id, r.type as event_type,
            case when r.type = 'track' then r.event
                 when r.type in ('page', 'screen') then coalesce(nullif(r.payload->>'name', ''), nullif(r.event, ''), r.type)
                 else r.type end as event_name,
            nullif(r.anonymous_id, '') as anonymous_id,
            nullif(r.user_id, '') as user_id,
            nullif(r.previous_id, '') as previous_id,
            case when r.sent_at is not null and r.event_timestamp is not null
                      and r.sent_at - r.event_timestamp between interval '-100 years' and interval '100 years'
                 then r.received_at - (r.sent_at - r.event_timestamp)
                 else r.event_timestamp end as client_at,
            r.received_at, r.sent_at,
            coalesce(p.max_event_age_days, 3650) as max_event_age_days,
            r.payload @> '{"context": {"touchline": {"import": true}}}' as is_import,
            r.payload->'properties' as properties,
            case when r.type = 'identify' then coalesce(core.json_object(r.payload->'traits'),
                                                        core.json_object(r.payload#>'{context,traits}'),
                                                        core.json_object(r.payload#>'{properties,$set}'))
                 else coalesce(core.json_object(r.payload#>'{properties,$set}'),
                               case when p.traits_from_context then core.json_object(r.payload#>'{context,traits}') end)
                 end as traits,
            core.json_object(r.payload#>'{properties,$set_once}') as traits_set_once,
            coalesce(r.payload#>>'{context,page,url}', r.payload#>>'{properties,url}', '') as url_key,
            coalesce(r.payload#>>'{context,page,path}', r.payload#>>'{properties,path}') as page_path_sent,
            coalesce(r.payload#>>'{context,page,title}', r.payload#>>'{properties,title}') as page_title,
            coalesce(r.payload#>>'{context,page,referrer}', r.payload#>>'{properties,referrer}', '') as referrer_key,
            coalesce(core.json_object(r.payload#>'{context,campaign}'), '{}'::jsonb) as campaign,
            r.ip, r.user_agent, r.blocked_identifiers
        from core.raw_batch as r
        left join ops.projects as p on p.project_id = r.project_id
        where r.quarantine_reason is null
    ) as c
) as t;
analyze batch_base (url_key, referrer_key, ip, user_agent);

create temp table batch_traffic on commit drop as
with traffic as (
    select distinct url_key, referrer_key, campaign from batch_base
), parsed as (
    select t.*,
        regexp_replace(lower(substring(t.url_key from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)')), '^www\.', '') as page_host,
        regexp_replace(lower(substring(t.referrer_key from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)')), '^www\.', '') as referrer_host,
        coalesce(nullif(campaign->>'source', ''), nullif(q.params->>'utm_source', '')) as utm_source,
        coalesce(nullif(campaign->>'medium', ''), nullif(q.params->>'utm_medium', '')) as utm_medium,
        coalesce(nullif(campaign->>'name', ''), nullif(campaign->>'campaign', ''), nullif(q.params->>'utm_campaign', '')) as utm_campaign,
        coalesce(nullif(campaign->>'term', ''), nullif(q.params->>'utm_term', '')) as utm_term,
        coalesce(nullif(campaign->>'content', ''), nullif(q.params->>'utm_content', '')) as utm_content,
        coalesce(nullif(campaign->>'id', ''), nullif(q.params->>'utm_id', '')) as utm_id,
        nullif(q.params->>'gclid', '') as gclid,
        nullif(q.params->>'gbraid', '') as gbraid,
        nullif(q.params->>'wbraid', '') as wbraid,
        nullif(q.params->>'fbclid', '') as fbclid,
        nullif(q.params->>'msclkid', '') as msclkid,
        nullif(q.params->>'ttclid', '') as ttclid,
        nullif(q.params->>'li_fat_id', '') as li_fat_id
    from traffic as t cross join lateral (
        -- the query's campaign parameters in one pass: the first occurrence of a name wins,
        -- percent-decoding only runs on values that need it
        select jsonb_object_agg(m.kv[1], case when m.kv[2] ~ '[%+]' then core.url_decode(m.kv[2]) else m.kv[2] end
                                order by m.n desc) as params
        from regexp_matches(substring(t.url_key from '\?[^#]*'), '[?&]([^=&#]+)=([^&#]*)', 'g') with ordinality as m(kv, n)
        where m.kv[1] in ({{campaign_parameters}})
    ) as q
), with_referrer as materialized (
    select p.*, {{referrer_class}} as referrer_class from parsed as p
), with_source as materialized (
    select w.*, {{source_class}} as source_class from with_referrer as w
)
select s.url_key, s.referrer_key, s.campaign, s.referrer_host, s.utm_source, s.utm_medium, s.utm_campaign, s.utm_term,
       s.utm_content, s.utm_id, s.gclid, s.gbraid, s.wbraid, s.fbclid, s.msclkid, s.ttclid, s.li_fat_id,
       s.referrer_class, {{channel}} as channel
from with_source as s;
analyze batch_traffic;

-- The planner misjudges the three-column join (it expects 15 times too many rows) and sorts a million
-- wide rows for a merge join; hashing the small batch_traffic side is always the right plan here.
set local enable_mergejoin = off;
create temp table batch_events on commit drop as
select
    b.project_id, b.message_id, b.event_type, b.event_name, b.anonymous_id, b.user_id, b.previous_id,
    coalesce(b.anonymous_id, b.user_id) as device_id,
    b.event_at, (b.event_at at time zone 'UTC')::date as event_date, b.event_time_source, b.received_at, b.sent_at,
    b.properties, b.traits, b.traits_set_once, b.blocked_identifiers, nullif(b.url_key, '') as page_url,
    coalesce(nullif(b.page_path_sent, ''), nullif(substring(b.url_key from '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)'), ''),
             case when b.url_key <> '' then '/' end) as page_path,
    b.page_title, nullif(b.referrer_key, '') as page_referrer, c.referrer_host,
    g.ip_truncated, g.country_code, g.country, g.region, g.city, g.time_zone, g.latitude, g.longitude,
    extract(hour from b.event_at at time zone g.time_zone)::smallint as local_hour,
    extract(isodow from b.event_at at time zone g.time_zone)::smallint as local_weekday,
    d.browser, d.browser_version, d.os, d.os_version, d.device_type, coalesce(d.is_bot, false) as is_bot,
    coalesce(d.is_server, true) as is_server_event,  -- no user agent: a server event
    c.utm_source, c.utm_medium, c.utm_campaign, c.utm_term, c.utm_content, c.utm_id,
    c.gclid, c.gbraid, c.wbraid, c.fbclid, c.msclkid, c.ttclid, c.li_fat_id,
    c.referrer_class, c.channel
from batch_base as b
join batch_traffic as c on c.url_key = b.url_key and c.referrer_key = b.referrer_key and c.campaign = b.campaign
left join core.geo_lookup as g on g.ip = b.ip
left join core.device_lookup as d on d.user_agent = b.user_agent;
reset enable_mergejoin;
analyze batch_events (project_id, message_id, device_id, anonymous_id, user_id);
