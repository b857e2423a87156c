-- step write_sessions
-- reads: assigned, changed_events, affected_devices, core.events
-- writes: core.sessions, core.identity_map, core.identity_merge_log
-- creates: touched_sessions, device_runs, device_runs_linked
--
-- The sessions and the identity map of the devices this run touched, rebuilt from `assigned` and
-- core.events (written by write_events.sql). Only sessions that gain, lose or change an event are
-- rewritten: those of new events, and the old and new sessions of changed events.
create temp table touched_sessions on commit drop as
select project_id, session_id from assigned where is_new and session_id is not null
union
select project_id, session_id from changed_events where session_id is not null and is_device_event
union
select project_id, old_session_id from changed_events where old_session_id is not null and is_device_event;
analyze touched_sessions;

delete from core.sessions s using touched_sessions t
where s.project_id = t.project_id and s.session_id = t.session_id;

-- A session's attributes are those of its first event (landing) and of its last page view (exit; its
-- last event when it has no page view), read back from core.events.
insert into core.sessions
with agg as (
    select project_id, session_id,
           min(event_at) as started_at, max(event_at) as ended_at,
           count(*)::integer as event_count,
           (count(*) filter (where event_type in ('page', 'screen')))::integer as page_view_count,
           min(message_id) filter (where session_event_sequence = 1) as first_message_id,
           max(ord) filter (where event_type in ('page', 'screen')) as last_page_ord,
           max(ord) as last_ord
    from assigned
    where (project_id, session_id) in (select project_id, session_id from touched_sessions)
    group by project_id, session_id
)
select f.project_id, f.session_id, f.device_id, f.anonymous_id, f.user_key, f.blended_user_id,
       a.started_at, a.ended_at, extract(epoch from a.ended_at - a.started_at), a.event_count, a.page_view_count,
       f.page_url, f.page_path, l.page_url, l.page_path,
       f.page_referrer, f.referrer_host, f.referrer_class, f.channel,
       f.utm_source, f.utm_medium, f.utm_campaign, f.utm_term, f.utm_content, f.utm_id,
       f.gclid, f.gbraid, f.wbraid, f.fbclid, f.msclkid, f.ttclid, f.li_fat_id,
       f.browser, f.os, f.device_type, f.country_code, f.country, f.region, f.city
from agg as a
join assigned as x on x.ord = coalesce(a.last_page_ord, a.last_ord)
join core.events as f on f.project_id = a.project_id and f.message_id = a.first_message_id
join core.events as l on l.project_id = x.project_id and l.message_id = x.message_id;

-- Device -> user over time: runs of the same user on a device, [valid_from, valid_to), and the merge log.
-- A device read from its cut keeps its rows before the cut; the run of its context row continues the
-- kept run that was current at the cut, which gets its new end.
delete from core.identity_map m using affected_devices a
where m.project_id = a.project_id and m.device_id = a.device_id and (a.cut is null or m.valid_from >= a.cut);
delete from core.identity_merge_log m using affected_devices a
where m.project_id = a.project_id and m.id_kind = 'device' and m.id_value = a.device_id
  and (a.cut is null or m.merged_at >= a.cut);

create temp table device_runs on commit drop as
with ordered as (
    select project_id, device_id, device_start_ord, user_key, uid, message_id, event_at, ord, is_context,
           case when ((device_start_ord, user_key) is distinct from (lag(device_start_ord) over w, lag(user_key) over w)) then 1 else 0 end as chg
    from assigned where user_key is not null
    window w as (order by ord)
), runs as (
    select o.*, sum(chg) over (order by ord) as run from ordered as o
)
select project_id, device_id, device_start_ord, run, min(user_key) as user_key, bool_or(is_context) as continued,
       min(event_at) as valid_from,
       (array_agg(message_id order by ord) filter (where uid = user_key))[1] as cause_message_id,
       min(event_at) filter (where uid = user_key) as identified_at
from runs group by project_id, device_id, device_start_ord, run;

create temp table device_runs_linked on commit drop as
select r.*, lead(valid_from) over d as valid_to, lag(user_key) over d as from_user_key,
       row_number() over d = 1 and not continued as first_run
from device_runs as r window d as (partition by device_start_ord order by run);

update core.identity_map m set valid_to = r.valid_to
from device_runs_linked as r join affected_devices as a on a.project_id = r.project_id and a.device_id = r.device_id
where r.continued and m.project_id = r.project_id and m.device_id = r.device_id
  and m.valid_from = (select max(k.valid_from) from core.identity_map as k
                      where k.project_id = r.project_id and k.device_id = r.device_id and k.valid_from < a.cut);

insert into core.identity_map (project_id, device_id, user_key, valid_from, valid_to)
select project_id, device_id, user_key, valid_from, valid_to from device_runs_linked where not continued;

insert into core.identity_merge_log (project_id, merged_at, id_kind, id_value, from_user_key, to_user_key, rule, cause_message_id)
select project_id, coalesce(identified_at, valid_from), 'device', device_id, from_user_key, user_key,
       case when first_run then 'first_identification' else 'user_change' end, coalesce(cause_message_id, '')
from device_runs_linked where not continued;
