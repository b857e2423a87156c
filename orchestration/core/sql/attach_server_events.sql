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
CREATE TEMP TABLE server_event_users ON COMMIT DROP AS
SELECT project_id, user_key FROM core.run_users
UNION
SELECT project_id, user_key FROM assigned WHERE user_key IS NOT NULL AND NOT is_context;

CREATE TEMP TABLE server_events ON COMMIT DROP AS
SELECT e.project_id, e.message_id, e.user_key, e.event_at, e.received_at, e.session_id AS old_session_id,
       make_interval(mins => coalesce(p.session_timeout_minutes, 30)) AS timeout
FROM server_event_users u
JOIN core.events e ON e.project_id = u.project_id AND e.user_key = u.user_key  -- index events_server
LEFT JOIN ops.projects p ON p.project_id = e.project_id
WHERE e.anonymous_id IS NULL AND NOT e.is_bot;

CREATE TEMP TABLE server_user_devices ON COMMIT DROP AS
SELECT DISTINCT m.project_id, m.user_key, m.device_id
FROM core.identity_map m
JOIN (SELECT DISTINCT project_id, user_key FROM server_events) s ON s.project_id = m.project_id AND s.user_key = m.user_key
WHERE m.device_id <> m.user_key;

ALTER TABLE server_events ADD COLUMN session_id text;
UPDATE server_events s SET session_id = t.session_id
FROM (
    SELECT s.project_id, s.message_id, (
        SELECT last.session_id
        FROM server_user_devices d
        CROSS JOIN LATERAL (
            SELECT x.session_id, x.user_key, x.event_at, x.received_at, x.message_id FROM core.events x
            WHERE x.project_id = d.project_id AND x.device_id = d.device_id
              AND x.event_at >= s.event_at - s.timeout AND x.event_at <= s.event_at
              AND (x.event_at, x.received_at, x.message_id) < (s.event_at, s.received_at, s.message_id)
              AND x.anonymous_id IS NOT NULL AND NOT x.is_bot AND x.event_type IN ('page', 'screen', 'track')
            ORDER BY x.event_at DESC, x.received_at DESC, x.message_id DESC LIMIT 1
        ) last
        JOIN core.sessions z ON z.project_id = d.project_id AND z.session_id = last.session_id
        WHERE d.project_id = s.project_id AND d.user_key = s.user_key AND last.user_key = s.user_key
          AND s.event_at - z.started_at < interval '24 hours'
        ORDER BY last.event_at DESC, last.received_at DESC, last.message_id DESC LIMIT 1
    ) AS session_id
    FROM server_events s
) t
WHERE t.project_id = s.project_id AND t.message_id = s.message_id;

CREATE TEMP TABLE server_sessions ON COMMIT DROP AS
SELECT project_id, session_id FROM server_events WHERE session_id IS NOT NULL
UNION
SELECT project_id, old_session_id FROM server_events WHERE old_session_id IS NOT NULL;

UPDATE core.events e SET session_id = s.session_id, session_event_sequence = NULL
FROM server_events s
WHERE e.project_id = s.project_id AND e.message_id = s.message_id AND s.old_session_id IS DISTINCT FROM s.session_id;

-- the members of those sessions: their device's events in the session's span, and their server events
CREATE TEMP TABLE server_session_members ON COMMIT DROP AS
SELECT m.*, row_number() OVER (PARTITION BY m.project_id, m.session_id ORDER BY m.event_at, m.received_at, m.message_id)
           AS seq
FROM (
    SELECT e.project_id, e.session_id, e.message_id, e.event_type, e.event_at, e.received_at, e.session_event_sequence
    FROM server_sessions t
    JOIN core.sessions z ON z.project_id = t.project_id AND z.session_id = t.session_id
    JOIN core.events e ON e.project_id = z.project_id AND e.device_id = z.device_id
                      AND e.event_at BETWEEN z.started_at AND z.ended_at AND e.session_id = z.session_id
    UNION ALL
    SELECT e.project_id, e.session_id, e.message_id, e.event_type, e.event_at, e.received_at, e.session_event_sequence
    FROM server_events s JOIN core.events e ON e.project_id = s.project_id AND e.message_id = s.message_id
    WHERE s.session_id IS NOT NULL
) m;

UPDATE core.events e SET session_event_sequence = m.seq
FROM server_session_members m
WHERE e.project_id = m.project_id AND e.message_id = m.message_id
  AND e.session_event_sequence IS DISTINCT FROM m.seq::integer;

UPDATE core.sessions z
SET started_at = a.started_at, ended_at = a.ended_at, duration_seconds = extract(epoch FROM a.ended_at - a.started_at),
    event_count = a.event_count, page_view_count = a.page_view_count
FROM (
    SELECT project_id, session_id, min(event_at) AS started_at, max(event_at) AS ended_at, count(*)::integer AS event_count,
           (count(*) FILTER (WHERE event_type IN ('page', 'screen')))::integer AS page_view_count
    FROM server_session_members GROUP BY project_id, session_id
) a
WHERE z.project_id = a.project_id AND z.session_id = a.session_id
  AND (z.started_at, z.ended_at, z.event_count, z.page_view_count)
      IS DISTINCT FROM (a.started_at, a.ended_at, a.event_count, a.page_view_count);
