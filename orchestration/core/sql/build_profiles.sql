-- step build_profiles
-- reads: core.run_users, core.sessions, core.events, core.identity_map, profile_rules
-- writes: core.user_profiles
-- creates: profile_sessions, trait_values
-- params: default_rule (the merge rule of traits profile_rules does not name)
--
-- core.user_profiles for the users this run touched (core.run_users). Seen-at times, devices, session
-- count and first touch come from core.sessions, devices from core.identity_map (a session belongs to one user, bots have none); traits
-- merge by rule (temp table profile_rules) over the user's events that set traits (core.events.traits:
-- identify, $set; traits_set_once: $set_once, always set_once), in event order (index events_user_traits).
-- An explicit null clears a `latest` trait; `set_once` and `append` ignore nulls.
delete from core.user_profiles p using core.run_users u
where p.project_id = u.project_id and p.user_key = u.user_key;

create temp table profile_sessions on commit drop as
select s.project_id, s.user_key, s.session_id, s.device_id, s.started_at, s.ended_at, s.utm_source, s.utm_medium,
       s.utm_campaign, s.referrer, s.landing_page_url
from core.sessions as s join core.run_users as u on u.project_id = s.project_id and u.user_key = s.user_key;

create temp table trait_values on commit drop as
select p.project_id, p.user_key, t.key, t.value, p.ord,
       case when p.once then 'set_once' else coalesce(r.rule, %(default_rule)s) end as rule
from (
    select e.project_id, e.user_key, s.traits, s.once,
           row_number() over (partition by e.project_id, e.user_key order by e.event_at, e.received_at, e.message_id) as ord
    from core.events as e join core.run_users as u on u.project_id = e.project_id and u.user_key = e.user_key
    cross join lateral (values (e.traits, false), (e.traits_set_once, true)) as s(traits, once)
    where e.traits is not null and e.user_key is not null and not e.is_bot and s.traits is not null
) as p
cross join lateral jsonb_each(p.traits) as t
left join profile_rules as r on r.key = t.key;

insert into core.user_profiles (project_id, user_key, first_seen_at, last_seen_at, traits, email, name, plan,
    first_utm_source, first_utm_medium, first_utm_campaign, initial_referrer, landing_page,
    devices, emails_seen, session_count)
with merged as (
    select project_id, user_key, key,
           case min(rule)
               when 'set_once' then (array_agg(value order by ord) filter (where value <> 'null'::jsonb))[1]
               when 'latest' then (array_agg(value order by ord desc))[1]  -- an explicit null clears
           end as value
    from trait_values where rule in ('set_once', 'latest')
    group by project_id, user_key, key
    union all
    select project_id, user_key, key, jsonb_agg(value order by first_ord)
    from (select project_id, user_key, key, value, min(ord) as first_ord
          from trait_values where rule = 'append' and value <> 'null'::jsonb group by project_id, user_key, key, value) as a
    group by project_id, user_key, key
), traits as (
    select project_id, user_key, jsonb_object_agg(key, value) as traits from merged
    where value is not null and value <> 'null'::jsonb group by project_id, user_key
), emails as (
    select project_id, user_key, array_agg(email order by first_ord) as emails_seen
    from (select project_id, user_key, value #>> '{}' as email, min(ord) as first_ord
          from trait_values where key = 'email' and jsonb_typeof(value) = 'string'
          group by project_id, user_key, value #>> '{}') as x
    group by project_id, user_key
), devices as (
    -- every device the person was mapped to (identity_map), sessions or not, in order of first use
    select project_id, user_key, array_agg(device_id order by first_at, device_id) as devices
    from (select m.project_id, m.user_key, m.device_id, min(m.valid_from) as first_at
          from core.identity_map as m join core.run_users as u on u.project_id = m.project_id and u.user_key = m.user_key
          group by 1, 2, 3) as d
    group by project_id, user_key
), base as (
    select project_id, user_key, min(started_at) as first_seen_at, max(ended_at) as last_seen_at,
           count(*)::integer as session_count
    from profile_sessions group by project_id, user_key
    union all
    -- a person without a session (identify or server events only): seen at their events' times
    select u.project_id, u.user_key, min(e.event_at), max(e.event_at), 0
    from core.run_users as u
    join (select distinct project_id, user_key, device_id from core.identity_map) as m
      on m.project_id = u.project_id and m.user_key = u.user_key
    join core.events as e on e.project_id = m.project_id and e.device_id = m.device_id and e.user_key = u.user_key
    where not exists (select 1 from profile_sessions as s where s.project_id = u.project_id and s.user_key = u.user_key)
    group by u.project_id, u.user_key
), first_session as (
    select distinct on (project_id, user_key) project_id, user_key, utm_source, utm_medium, utm_campaign, referrer,
           landing_page_url
    from profile_sessions
    order by project_id, user_key, started_at, session_id
)
select b.project_id, b.user_key, b.first_seen_at, b.last_seen_at, coalesce(t.traits, '{}'::jsonb),
       t.traits ->> 'email', t.traits ->> 'name', t.traits ->> 'plan',
       f.utm_source, f.utm_medium, f.utm_campaign, f.referrer, f.landing_page_url,
       coalesce(d.devices, '{}'), coalesce(em.emails_seen, '{}'), b.session_count
from base as b
left join traits as t using (project_id, user_key)
left join emails as em using (project_id, user_key)
left join devices as d using (project_id, user_key)
left join first_session as f using (project_id, user_key);
