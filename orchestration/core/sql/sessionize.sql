-- step sessionize
-- reads: device_events, ops.projects, core.user_aliases
-- creates: ordered_events, assigned
--
-- device_events (the events of the devices this run touches, from their cut on) -> assigned: sessions cut,
-- users stitched. The rules (README, "Sessions" and "Identity"), per device stream, ordered by
-- (event_at, received_at, message_id):
--  0. sessions are cut from interactive events (page, screen, and track with an anonymous id); identify,
--     alias and group join the session in progress on their device (its last interactive event within the
--     timeout) and are sessionless when there is none; an event without anonymous id is sessionless here
--     (attach_server_events.sql may join it to its person's session in progress);
--  1. a new segment when an interactive event comes after the project's inactivity timeout (default 30
--     min) since the device's last interactive event;
--  2. inside a segment, a new session when an event brings a UTM set, or click ids, other than the last
--     ones seen in the segment (a page that repeats them, or carries none, continues the session);
--  3. no session spans 24 h: a session is cut into 24 h slices from its first event;
--  4. users: inside a session, events before its first identification belong to the user identified in
--     it; after an identification, to the user identified most recently; a session without one, to the
--     user last identified on the device before it, or (before the first one) to the device's first user;
--     a sessionless event counts as a session of its own;
--  5. a user change inside a session splits it at that event.
-- Bots are kept in core.events, flagged, without session or user.
--
-- How: one sort of the streams gives every event a global position `ord` (devices one after another,
-- each in event order). Every rule then needs only "the last X at or before this event" (a running max of
-- ord along ord) or "the next X at or after it" (a running min along ord descending), and lag() with a
-- per-row offset reads the value at that position: a few sorts of small rows in all, whatever the rules.
create temp table ordered_events on commit drop as
select e.project_id, e.device_id, e.message_id, e.event_type, e.event_at, e.received_at, e.is_new, e.is_context,
       e.is_device_event, e.is_interactive, e.old_session_id, e.old_seq, e.old_user_key,
       case when e.user_id is not null then coalesce(a.canonical_user_id, e.user_id) end as uid,
       case when e.is_interactive then e.utm_key end as utm_key,
       case when e.is_interactive then e.click_key end as click_key,
       row_number() over w as ord,
       case when ((e.project_id, e.device_id) is distinct from (lag(e.project_id) over w, lag(e.device_id) over w))
            then 1 else 0 end as device_start,
       make_interval(mins => coalesce(p.session_timeout_minutes, 30)) as timeout
from device_events as e
left join ops.projects as p on p.project_id = e.project_id
left join core.user_aliases as a on a.project_id = e.project_id and a.user_id = e.user_id
where not e.is_bot
window w as (order by e.project_id collate "C", e.device_id collate "C", e.event_at, e.received_at,
             e.message_id collate "C");

create temp table assigned on commit drop as
with marks as (  -- the chain carries small columns only; ordered_events' text columns join back at the end
    select s.*,
           max(case when device_start = 1 then ord end) over o as device_start_ord,
           max(case when is_interactive then ord end) over before as prev_interactive_ord,
           max(case when utm_key is not null then ord end) over before as prev_utm_ord,
           max(case when click_key is not null then ord end) over before as prev_click_ord
    from (select ord, device_start, is_interactive, event_at, timeout, uid, utm_key, click_key from ordered_events) as s
    window o as (order by ord), before as (order by ord rows between unbounded preceding and 1 preceding)
), activity as (
    -- rules 0 and 1: is a session in progress (the device's last interactive event within the timeout)?
    select marks.*,
           coalesce(prev_interactive_ord >= device_start_ord
                    and event_at - lag(event_at, (ord - coalesce(prev_interactive_ord, ord))::integer) over o <= timeout,
                    false) as in_progress
    from marks window o as (order by ord)
), segments as (
    select activity.*,
           not is_interactive and not in_progress as sessionless,
           max(case when is_interactive and not in_progress then ord end) over o as seg_start_ord
    from activity window o as (order by ord)
), campaign as (
    -- rule 2: a UTM set (click ids) other than the last one seen in the segment; the first one of a
    -- segment that began without one counts as other
    select segments.*,
           case when (is_interactive and not in_progress)
                  or (utm_key is not null and (prev_utm_ord is null or prev_utm_ord < seg_start_ord
                                               or lag(utm_key, (ord - prev_utm_ord)::integer) over o <> utm_key))
                  or (click_key is not null and (prev_click_ord is null or prev_click_ord < seg_start_ord
                                                 or lag(click_key, (ord - prev_click_ord)::integer) over o <> click_key))
                then 1 else 0 end as sub_start
    from segments window o as (order by ord)
), subs as (
    select campaign.*, max(case when sub_start = 1 then ord end) over (order by ord) as sub_start_ord from campaign
), slices as (
    -- rule 3: 24 h slices from the first event of the sub-session
    select subs.*,
           floor(extract(epoch from event_at - lag(event_at, (ord - coalesce(sub_start_ord, ord))::integer) over o)
                 / 86400) as slice
    from subs window o as (order by ord)
), psess as (
    -- preliminary sessions (rules 1-3); a sessionless event is one of its own
    select slices.*,
           case when sub_start = 1 or sessionless or slice <> lag(slice) over o then 1 else 0 end as psess_break
    from slices window o as (order by ord)
), prev_id as (
    select psess.*,
           max(case when psess_break = 1 then ord end) over o as psess_start_ord,
           max(case when uid is not null then ord end) over o as prev_uid_ord
    from psess window o as (order by ord)
), prev_user as (
    -- the last identification at or before the event, and the preliminary session it was in
    select prev_id.*,
           lag(uid, (ord - prev_uid_ord)::integer) over o as prev_uid,
           lag(psess_start_ord, (ord - prev_uid_ord)::integer) over o as prev_uid_psess
    from prev_id window o as (order by ord)
), next_id as (
    select prev_user.*,
           min(case when uid is not null then ord end) over r as next_uid_ord,
           min(case when psess_break = 1 then ord end) over r_after as next_psess_ord,
           min(case when device_start = 1 then ord end) over r_after as next_device_ord
    from prev_user
    window r as (order by ord desc), r_after as (order by ord desc rows between unbounded preceding and 1 preceding)
), next_user as (
    -- the first identification at or after the event
    select next_id.*, lag(uid, (next_uid_ord - ord)::integer) over (order by ord desc) as next_uid from next_id
), users as (
    -- rule 4
    select next_user.*,
           case when prev_uid_ord >= device_start_ord and prev_uid_psess = psess_start_ord then prev_uid
                when next_uid_ord < coalesce(next_psess_ord, next_uid_ord + 1) then next_uid
                when prev_uid_ord >= device_start_ord then prev_uid
                when next_uid_ord < coalesce(next_device_ord, next_uid_ord + 1) then next_uid end as user_key
    from next_user
), splits as (
    -- rule 5
    select users.*,
           case when (psess_break = 1 or user_key is distinct from lag(user_key) over o) then 1 else 0 end as sess_break
    from users window o as (order by ord)
), sessions as (
    select ord, device_start_ord, user_key, sessionless,
           max(case when sess_break = 1 then ord end) over (order by ord) as sess_start_ord
    from splits
)
select e.project_id, e.device_id, e.message_id, e.event_type, e.event_at, e.received_at, e.uid, e.ord,
       x.device_start_ord, e.is_new, e.is_context, e.is_device_event, e.old_session_id, e.old_seq, e.old_user_key,
       case when not x.sessionless then md5(e.project_id || '/' || f.message_id) end as session_id,
       case when not x.sessionless then (x.ord - x.sess_start_ord + 1)::integer end as session_event_sequence,
       x.user_key
from sessions as x
join ordered_events as e on e.ord = x.ord
join ordered_events as f on f.ord = x.sess_start_ord;
analyze assigned (project_id, message_id, session_id, ord);
