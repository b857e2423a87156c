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
LOCK TABLE core.change_log IN EXCLUSIVE MODE;

-- No watermark yet: core was empty before this run (first run, full refresh). Every mart recomputes
-- everything, persons that no longer exist included; nothing finer is logged.
INSERT INTO core.change_log (project_id, kind)
SELECT '*', 'all' WHERE NOT EXISTS (SELECT 1 FROM ops.watermarks WHERE name = %(watermark)s);

-- Persons: the person (blended_user_id) of every new event, sessionless ones included, and the
-- persons before and after of every held event whose session or user changed (re-stitching, a
-- shared device changing hands, alias re-maps, sessions merged or re-cut by a late event).
INSERT INTO core.change_log (project_id, kind, entity_id)
SELECT DISTINCT project_id, 'person', person FROM (
    SELECT e.project_id, e.blended_user_id AS person
    FROM batch_events b JOIN core.events e ON e.project_id = b.project_id AND e.message_id = b.message_id
    WHERE NOT e.is_bot
    UNION ALL
    SELECT c.project_id, coalesce(c.user_key, c.device_id) FROM changed_events c
    UNION ALL
    SELECT a.project_id, coalesce(a.old_user_key, a.device_id)
    FROM changed_events c JOIN assigned a ON a.project_id = c.project_id AND a.message_id = c.message_id
) p
WHERE EXISTS (SELECT 1 FROM ops.watermarks WHERE name = %(watermark)s);

-- Sessions rewritten, with their UTC start day before the run (from their held events; every event of
-- a session at or after the device's cut is read) and after it (a session that vanished has none).
INSERT INTO core.change_log (project_id, kind, entity_id, day)
SELECT DISTINCT project_id, 'session', session_id, day FROM (
    SELECT t.project_id, t.session_id, (s.started_at AT TIME ZONE 'UTC')::date AS day
    FROM touched_sessions t JOIN core.sessions s ON s.project_id = t.project_id AND s.session_id = t.session_id
    UNION ALL
    SELECT a.project_id, a.old_session_id, (min(a.event_at) AT TIME ZONE 'UTC')::date
    FROM assigned a JOIN touched_sessions t ON t.project_id = a.project_id AND t.session_id = a.old_session_id
    WHERE NOT a.is_new AND NOT a.is_context
    GROUP BY a.project_id, a.old_session_id
    UNION ALL
    -- sessions a server event joined or left (attach_server_events): their counts and revenue changed
    SELECT x.project_id, x.session_id, (s.started_at AT TIME ZONE 'UTC')::date
    FROM server_sessions x JOIN core.sessions s ON s.project_id = x.project_id AND s.session_id = x.session_id
) s
WHERE EXISTS (SELECT 1 FROM ops.watermarks WHERE name = %(watermark)s);

-- What every mart has consumed is no longer needed (a mart without a watermark rebuilds in full).
DELETE FROM core.change_log WHERE seq <= (SELECT min(consumed_seq) FROM ops.mart_watermarks);
