-- step change_log
-- reads: batch_events, assigned, changed_events, touched_sessions, server_sessions,
--        core.events, core.sessions, ops.watermarks, ops.mart_watermarks
-- writes: core.change_log
-- params: watermark
--
-- What this build changed, for dbt's incremental marts to recompute exactly that, whatever the dates
-- (dbt_project/macros/change_log.sql reads it). Runs before finish_run moves the watermark.
-- Writers are serialised until commit, so sequence order is commit order: a reader that sees seq N
-- has every change below N.
lock table core.change_log in exclusive mode;

-- No watermark yet: core was empty before this run (first run, full refresh). Every mart recomputes
-- everything, persons that no longer exist included; nothing finer is logged.
insert into core.change_log (project_id, kind)
select '*', 'all' where not exists (select 1 from ops.watermarks where name = %(watermark)s);

-- Persons: the person (blended_user_id) of every new event, sessionless ones included, and the
-- persons before and after of every held event whose session or user changed (re-stitching, a
-- shared device changing hands, alias re-maps, sessions merged or re-cut by a late event).
insert into core.change_log (project_id, kind, entity_id)
select distinct project_id, 'person', person from (
    select e.project_id, e.blended_user_id as person
    from batch_events as b join core.events as e on e.project_id = b.project_id and e.message_id = b.message_id
    where not e.is_bot
    union all
    select c.project_id, coalesce(c.user_key, c.device_id) from changed_events as c
    union all
    select a.project_id, coalesce(a.old_user_key, a.device_id)
    from changed_events as c join assigned as a on a.project_id = c.project_id and a.message_id = c.message_id
) as p
where exists (select 1 from ops.watermarks where name = %(watermark)s);

-- Sessions rewritten, with their UTC start day before the run (from their held events; every event of
-- a session at or after the device's cut is read) and after it (a session that vanished has none).
insert into core.change_log (project_id, kind, entity_id, day)
select distinct project_id, 'session', session_id, day from (
    select t.project_id, t.session_id, (s.started_at at time zone 'UTC')::date as day
    from touched_sessions as t join core.sessions as s on s.project_id = t.project_id and s.session_id = t.session_id
    union all
    select a.project_id, a.old_session_id, (min(a.event_at) at time zone 'UTC')::date
    from assigned as a join touched_sessions as t on t.project_id = a.project_id and t.session_id = a.old_session_id
    where not a.is_new and not a.is_context
    group by a.project_id, a.old_session_id
    union all
    -- sessions a server event joined or left (attach_server_events): their counts and revenue changed
    select x.project_id, x.session_id, (s.started_at at time zone 'UTC')::date
    from server_sessions as x join core.sessions as s on s.project_id = x.project_id and s.session_id = x.session_id
) as s
where exists (select 1 from ops.watermarks where name = %(watermark)s);

-- What every mart has consumed is no longer needed (a mart without a watermark rebuilds in full).
delete from core.change_log where seq <= (select min(consumed_seq) from ops.mart_watermarks);
