-- step collect_devices
-- reads: batch_events, changed_user_ids, core.events, core.sessions, core.identity_map,
--        core.identity_merge_log, ops.projects
-- writes: core.run_users
-- creates: affected_devices, device_events
-- fragments: {{click_key}} (enrichment/traffic.py)
--
-- The devices this run recomputes, and how much of each device's history it reads (device_events).
--
-- Devices: those of the batch, and those whose user ids changed canonical user (an alias).
-- Interactive: page, screen and track with an anonymous id, except touchline.js's "Page Ended" (sent on
-- pagehide, maybe hours after the last activity: it joins the session in progress like an identify and
-- never starts one; its "Page Ping" heartbeats, sent only while the user is active, are interactive).
-- History: sessions are cut per segment (a gap over the inactivity timeout always starts a new session),
-- so events before the segment that the device's earliest new event falls in or joins (its `cut`) keep
-- their sessions. They keep their users too when the device was identified before the cut: then the
-- events from the cut on need only the user last identified before it, which the context row carries
-- (a synthetic event, before the cut by more than the timeout, never written back). Otherwise (no
-- identification before the cut: a new one may re-stitch the anonymous past; re-aliased users; a new
-- event before all sessions) the device's whole history is read.
create temp table affected_devices on commit drop as
with devices as (
    select project_id, device_id, min(earliest_new_event_at) as earliest_new_event_at, bool_or(realiased) as realiased
    from (
        select project_id, device_id, min(event_at) as earliest_new_event_at, false as realiased from batch_events group by 1, 2
        union all
        select distinct e.project_id, e.device_id, null::timestamptz, true from core.events as e
        join changed_user_ids as c on c.project_id = e.project_id and c.user_id = e.user_id
    ) as d
    group by project_id, device_id
), sessions as (
    select s.project_id, s.device_id, s.started_at, d.earliest_new_event_at,
           coalesce(s.started_at - lag(s.ended_at) over w > make_interval(mins => coalesce(p.session_timeout_minutes, 30)),
                    true) as segment_start
    from core.sessions as s
    join devices as d on d.project_id = s.project_id and d.device_id = s.device_id and not d.realiased
    left join ops.projects as p on p.project_id = s.project_id
    window w as (partition by s.project_id, s.device_id order by s.started_at, s.ended_at)
), cuts as (
    select project_id, device_id, max(started_at) as cut from sessions
    where segment_start and started_at <= earliest_new_event_at
    group by project_id, device_id
)
select d.project_id, d.device_id, identified_before_cut.cut, identified_before_cut.context_user
from devices as d
left join cuts as c on c.project_id = d.project_id and c.device_id = d.device_id
left join lateral (
    select c.cut, m.user_key as context_user from core.identity_map as m
    where m.project_id = d.project_id and m.device_id = d.device_id and m.valid_from < c.cut
      and exists (select 1 from core.identity_merge_log as l
                  where l.project_id = d.project_id and l.id_kind = 'device' and l.id_value = d.device_id
                    and l.rule = 'first_identification' and l.merged_at < c.cut)
    order by m.valid_from desc limit 1
) as identified_before_cut on true;
alter table affected_devices add primary key (project_id, device_id);
analyze affected_devices;

create temp table device_events on commit drop as
select project_id, device_id, message_id, event_type, event_at, received_at, user_id, is_bot, is_new, is_context,
       is_device_event, is_interactive,
       old_session_id, old_seq, old_user_key,
       case when num_nonnulls(utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id) > 0
            then md5(concat_ws(E'\x1f', 'u', utm_source, 'm', utm_medium, 'c', utm_campaign, 't', utm_term,
                               'n', utm_content, 'i', utm_id))::uuid end as utm_key,
       {{click_key}} as click_key
from (
    select project_id, device_id, message_id, event_type, event_at, received_at, user_id, is_bot, true as is_new,
           false as is_context, anonymous_id is not null as is_device_event,
           event_type in ('page', 'screen', 'track') and anonymous_id is not null
           and (event_name is distinct from 'Page Ended') as is_interactive, null::text as old_session_id, null::integer as old_seq, null::text as old_user_key,
           utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id,
           gclid, gbraid, wbraid, fbclid, msclkid, ttclid, li_fat_id
    from batch_events
    union all
    select e.project_id, e.device_id, e.message_id, e.event_type, e.event_at, e.received_at, e.user_id, e.is_bot, false,
           false, e.anonymous_id is not null,
           e.event_type in ('page', 'screen', 'track') and e.anonymous_id is not null and (e.event_name is distinct from 'Page Ended'),
           e.session_id, e.session_event_sequence, e.user_key,
           e.utm_source, e.utm_medium, e.utm_campaign, e.utm_term, e.utm_content, e.utm_id,
           e.gclid, e.gbraid, e.wbraid, e.fbclid, e.msclkid, e.ttclid, e.li_fat_id
    from core.events as e join affected_devices as a on a.project_id = e.project_id and a.device_id = e.device_id
    where not e.is_bot and e.event_at >= coalesce(a.cut, '-infinity')
    union all
    select a.project_id, a.device_id, '', 'context', a.cut - make_interval(mins => coalesce(p.session_timeout_minutes, 30) + 1),
           a.cut, a.context_user, false, false, true, true, false, null, null, null,
           null, null, null, null, null, null, null, null, null, null, null, null, null
    from affected_devices as a left join ops.projects as p on p.project_id = a.project_id
    where a.cut is not null
) as d;

-- the users the recomputed events had before this run (their profiles are rebuilt)
truncate core.run_users;
insert into core.run_users
select distinct project_id, old_user_key from device_events where old_user_key is not null;
