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
CREATE TEMP TABLE ordered_events ON COMMIT DROP AS
SELECT e.project_id, e.device_id, e.message_id, e.event_type, e.event_at, e.received_at, e.is_new, e.is_context,
       e.is_device_event, e.is_interactive, e.old_session_id, e.old_seq, e.old_user_key,
       CASE WHEN e.user_id IS NOT NULL THEN coalesce(a.canonical_user_id, e.user_id) END AS uid,
       CASE WHEN e.is_interactive THEN e.utm_key END AS utm_key,
       CASE WHEN e.is_interactive THEN e.click_key END AS click_key,
       row_number() OVER w AS ord,
       CASE WHEN ((e.project_id, e.device_id) IS DISTINCT FROM (lag(e.project_id) OVER w, lag(e.device_id) OVER w))
            THEN 1 ELSE 0 END AS device_start,
       make_interval(mins => coalesce(p.session_timeout_minutes, 30)) AS timeout
FROM device_events e
LEFT JOIN ops.projects p ON p.project_id = e.project_id
LEFT JOIN core.user_aliases a ON a.project_id = e.project_id AND a.user_id = e.user_id
WHERE NOT e.is_bot
WINDOW w AS (ORDER BY e.project_id COLLATE "C", e.device_id COLLATE "C", e.event_at, e.received_at,
             e.message_id COLLATE "C");

CREATE TEMP TABLE assigned ON COMMIT DROP AS
WITH marks AS (  -- the chain carries small columns only; ordered_events' text columns join back at the end
    SELECT s.*,
           max(CASE WHEN device_start = 1 THEN ord END) OVER o AS device_start_ord,
           max(CASE WHEN is_interactive THEN ord END) OVER before AS prev_interactive_ord,
           max(CASE WHEN utm_key IS NOT NULL THEN ord END) OVER before AS prev_utm_ord,
           max(CASE WHEN click_key IS NOT NULL THEN ord END) OVER before AS prev_click_ord
    FROM (SELECT ord, device_start, is_interactive, event_at, timeout, uid, utm_key, click_key FROM ordered_events) s
    WINDOW o AS (ORDER BY ord), before AS (ORDER BY ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), activity AS (
    -- rules 0 and 1: is a session in progress (the device's last interactive event within the timeout)?
    SELECT marks.*,
           coalesce(prev_interactive_ord >= device_start_ord
                    AND event_at - lag(event_at, (ord - coalesce(prev_interactive_ord, ord))::integer) OVER o <= timeout,
                    false) AS in_progress
    FROM marks WINDOW o AS (ORDER BY ord)
), segments AS (
    SELECT activity.*,
           NOT is_interactive AND NOT in_progress AS sessionless,
           max(CASE WHEN is_interactive AND NOT in_progress THEN ord END) OVER o AS seg_start_ord
    FROM activity WINDOW o AS (ORDER BY ord)
), campaign AS (
    -- rule 2: a UTM set (click ids) other than the last one seen in the segment; the first one of a
    -- segment that began without one counts as other
    SELECT segments.*,
           CASE WHEN (is_interactive AND NOT in_progress)
                  OR (utm_key IS NOT NULL AND (prev_utm_ord IS NULL OR prev_utm_ord < seg_start_ord
                                               OR lag(utm_key, (ord - prev_utm_ord)::integer) OVER o <> utm_key))
                  OR (click_key IS NOT NULL AND (prev_click_ord IS NULL OR prev_click_ord < seg_start_ord
                                                 OR lag(click_key, (ord - prev_click_ord)::integer) OVER o <> click_key))
                THEN 1 ELSE 0 END AS sub_start
    FROM segments WINDOW o AS (ORDER BY ord)
), subs AS (
    SELECT campaign.*, max(CASE WHEN sub_start = 1 THEN ord END) OVER (ORDER BY ord) AS sub_start_ord FROM campaign
), slices AS (
    -- rule 3: 24 h slices from the first event of the sub-session
    SELECT subs.*,
           floor(extract(epoch FROM event_at - lag(event_at, (ord - coalesce(sub_start_ord, ord))::integer) OVER o)
                 / 86400) AS slice
    FROM subs WINDOW o AS (ORDER BY ord)
), psess AS (
    -- preliminary sessions (rules 1-3); a sessionless event is one of its own
    SELECT slices.*,
           CASE WHEN sub_start = 1 OR sessionless OR slice <> lag(slice) OVER o THEN 1 ELSE 0 END AS psess_break
    FROM slices WINDOW o AS (ORDER BY ord)
), prev_id AS (
    SELECT psess.*,
           max(CASE WHEN psess_break = 1 THEN ord END) OVER o AS psess_start_ord,
           max(CASE WHEN uid IS NOT NULL THEN ord END) OVER o AS prev_uid_ord
    FROM psess WINDOW o AS (ORDER BY ord)
), prev_user AS (
    -- the last identification at or before the event, and the preliminary session it was in
    SELECT prev_id.*,
           lag(uid, (ord - prev_uid_ord)::integer) OVER o AS prev_uid,
           lag(psess_start_ord, (ord - prev_uid_ord)::integer) OVER o AS prev_uid_psess
    FROM prev_id WINDOW o AS (ORDER BY ord)
), next_id AS (
    SELECT prev_user.*,
           min(CASE WHEN uid IS NOT NULL THEN ord END) OVER r AS next_uid_ord,
           min(CASE WHEN psess_break = 1 THEN ord END) OVER r_after AS next_psess_ord,
           min(CASE WHEN device_start = 1 THEN ord END) OVER r_after AS next_device_ord
    FROM prev_user
    WINDOW r AS (ORDER BY ord DESC), r_after AS (ORDER BY ord DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), next_user AS (
    -- the first identification at or after the event
    SELECT next_id.*, lag(uid, (next_uid_ord - ord)::integer) OVER (ORDER BY ord DESC) AS next_uid FROM next_id
), users AS (
    -- rule 4
    SELECT next_user.*,
           CASE WHEN prev_uid_ord >= device_start_ord AND prev_uid_psess = psess_start_ord THEN prev_uid
                WHEN next_uid_ord < coalesce(next_psess_ord, next_uid_ord + 1) THEN next_uid
                WHEN prev_uid_ord >= device_start_ord THEN prev_uid
                WHEN next_uid_ord < coalesce(next_device_ord, next_uid_ord + 1) THEN next_uid END AS user_key
    FROM next_user
), splits AS (
    -- rule 5
    SELECT users.*,
           CASE WHEN (psess_break = 1 OR user_key IS DISTINCT FROM lag(user_key) OVER o) THEN 1 ELSE 0 END AS sess_break
    FROM users WINDOW o AS (ORDER BY ord)
), sessions AS (
    SELECT ord, device_start_ord, user_key, sessionless,
           max(CASE WHEN sess_break = 1 THEN ord END) OVER (ORDER BY ord) AS sess_start_ord
    FROM splits
)
SELECT e.project_id, e.device_id, e.message_id, e.event_type, e.event_at, e.received_at, e.uid, e.ord,
       x.device_start_ord AS device_start_ord, e.is_new, e.is_context, e.is_device_event, e.old_session_id, e.old_seq, e.old_user_key,
       CASE WHEN NOT x.sessionless THEN md5(e.project_id || '/' || f.message_id) END AS session_id,
       CASE WHEN NOT x.sessionless THEN (x.ord - x.sess_start_ord + 1)::integer END AS session_event_sequence,
       x.user_key
FROM sessions x
JOIN ordered_events e ON e.ord = x.ord
JOIN ordered_events f ON f.ord = x.sess_start_ord;
ANALYZE assigned (project_id, message_id, session_id, ord);
