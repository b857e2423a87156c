-- step attach_server_events
-- reads: assigned, core.run_users, core.events, core.identity_map, core.sessions, ops.projects
-- writes: core.events, core.sessions
-- creates: server_event_users, server_events, server_user_devices, server_sessions, server_session_members
--
-- A server event (a person's event without anonymous id) joins that person's session in progress: the
-- session of the person's latest interactive event before it on any device, when that event is within the
-- inactivity timeout, is the last interactive event of its device at that point, and the session is not
-- 24 h old; otherwise it stays sessionless. It does not keep a session alive (the next interactive event
-- is measured from the last interactive one). Recomputed here: the server events of every person whose
-- events this run recomputed (their sessions may have moved), after core.events and core.sessions hold the
-- device events; the sessions they join or leave get their sequence numbers, counts and times rebuilt.
create temp table server_event_users on commit drop as
select project_id, user_key from core.run_users
union
select project_id, user_key from assigned where user_key is not null and not is_context;

create temp table server_events on commit drop as
select e.project_id, e.message_id, e.user_key, e.event_at, e.received_at, e.session_id as old_session_id,
       make_interval(mins => coalesce(p.session_timeout_minutes, 30)) as timeout
from server_event_users as u
join core.events as e on e.project_id = u.project_id and e.user_key = u.user_key  -- index events_server
left join ops.projects as p on p.project_id = e.project_id
where e.anonymous_id is null and not e.is_bot;

create temp table server_user_devices on commit drop as
select distinct m.project_id, m.user_key, m.device_id
from core.identity_map as m
join (select distinct project_id, user_key from server_events) as s on s.project_id = m.project_id and s.user_key = m.user_key
where m.device_id <> m.user_key;

alter table server_events add column session_id text;
update server_events s set session_id = t.session_id
from (
    select s.project_id, s.message_id, (
        select last.session_id
        from server_user_devices as d
        cross join lateral (
            select x.session_id, x.user_key, x.event_at, x.received_at, x.message_id from core.events as x
            where x.project_id = d.project_id and x.device_id = d.device_id
              and x.event_at >= s.event_at - s.timeout and x.event_at <= s.event_at
              and (x.event_at, x.received_at, x.message_id) < (s.event_at, s.received_at, s.message_id)
              and x.anonymous_id is not null and not x.is_bot and x.event_type in ('page', 'screen', 'track')
            order by x.event_at desc, x.received_at desc, x.message_id desc limit 1
        ) as last
        join core.sessions as z on z.project_id = d.project_id and z.session_id = last.session_id
        where d.project_id = s.project_id and d.user_key = s.user_key and last.user_key = s.user_key
          and s.event_at - z.started_at < interval '24 hours'
        order by last.event_at desc, last.received_at desc, last.message_id desc limit 1
    ) as session_id
    from server_events as s
) as t
where t.project_id = s.project_id and t.message_id = s.message_id;

create temp table server_sessions on commit drop as
select project_id, session_id from server_events where session_id is not null
union
select project_id, old_session_id from server_events where old_session_id is not null;

update core.events e set session_id = s.session_id, session_event_sequence = null
from server_events as s
where e.project_id = s.project_id and e.message_id = s.message_id and s.old_session_id is distinct from s.session_id;

-- the members of those sessions: their device's events in the session's span, and their server events
create temp table server_session_members on commit drop as
select m.*, row_number() over (partition by m.project_id, m.session_id order by m.event_at, m.received_at, m.message_id)
           as seq
from (
    select e.project_id, e.session_id, e.message_id, e.event_type, e.event_at, e.received_at, e.session_event_sequence
    from server_sessions as t
    join core.sessions as z on z.project_id = t.project_id and z.session_id = t.session_id
    join core.events as e on e.project_id = z.project_id and e.device_id = z.device_id
                      and e.event_at between z.started_at and z.ended_at and e.session_id = z.session_id
    union all
    select e.project_id, e.session_id, e.message_id, e.event_type, e.event_at, e.received_at, e.session_event_sequence
    from server_events as s join core.events as e on e.project_id = s.project_id and e.message_id = s.message_id
    where s.session_id is not null
) as m;

update core.events e set session_event_sequence = m.seq
from server_session_members as m
where e.project_id = m.project_id and e.message_id = m.message_id
  and e.session_event_sequence is distinct from m.seq::integer;

update core.sessions z
set started_at = a.started_at, ended_at = a.ended_at, duration_seconds = extract(epoch from a.ended_at - a.started_at),
    event_count = a.event_count, page_view_count = a.page_view_count
from (
    select project_id, session_id, min(event_at) as started_at, max(event_at) as ended_at, count(*)::integer as event_count,
           (count(*) filter (where event_type in ('page', 'screen')))::integer as page_view_count
    from server_session_members group by project_id, session_id
) as a
where z.project_id = a.project_id and z.session_id = a.session_id
  and (z.started_at, z.ended_at, z.event_count, z.page_view_count)
      is distinct from (a.started_at, a.ended_at, a.event_count, a.page_view_count);
