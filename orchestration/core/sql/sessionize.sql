-- dev_events (every event of the devices this run touches) -> assigned: sessions cut, users stitched.
-- DESIGN section 4. Per device stream, ordered by (event_at, received_at, message_id):
--  1. a new segment after the project's inactivity timeout (default 30 min);
--  2. inside a segment, a new session when an event brings a UTM set, or click ids, other than the last
--     ones seen in the segment (a page that repeats them, or carries none, continues the session);
--  3. no session spans 24 h: a session is cut into 24 h slices from its first event;
--  4. users: inside a session, events before its first identification belong to the user identified in
--     it; after an identification, to the user identified most recently; a session without one, to the
--     user last identified on the device before it, or (before the first one) to the device's first user;
--  5. a user change inside a session splits it at that event.
-- Bots are kept in core.events, flagged, without session or user.
--
-- How: one sort of the streams gives every event a global position `ord` (devices one after another);
-- segments, sub-sessions, identification groups and sessions are then numbered globally along `ord`,
-- so every later window sorts small integers instead of text keys. A group numbered along `ord` can
-- run past the end of its device; the checks against `dev` below stop it there.
CREATE TEMP TABLE s1 ON COMMIT DROP AS
SELECT e.project_id, e.device_id, e.message_id, e.event_type, e.event_at, e.received_at, e.is_new,
       e.old_session_id, e.old_seq, e.old_user_key,
       CASE WHEN e.user_id IS NOT NULL THEN coalesce(a.canonical_user_id, e.user_id) END AS uid,
       e.utm_key, e.click_key,
       row_number() OVER w AS ord,
       CASE WHEN (e.project_id, e.device_id) IS DISTINCT FROM (lag(e.project_id) OVER w, lag(e.device_id) OVER w)
            THEN 1 ELSE 0 END AS dev_start,
       CASE WHEN (e.project_id, e.device_id) IS DISTINCT FROM (lag(e.project_id) OVER w, lag(e.device_id) OVER w)
              OR e.event_at - lag(e.event_at) OVER w > make_interval(mins => coalesce(p.session_timeout_minutes, 30))
            THEN 1 ELSE 0 END AS new_seg
FROM dev_events e
LEFT JOIN ops.projects p ON p.project_id = e.project_id
LEFT JOIN core.user_aliases a ON a.project_id = e.project_id AND a.user_id = e.user_id
WHERE NOT e.is_bot
WINDOW w AS (ORDER BY e.project_id COLLATE "C", e.device_id COLLATE "C", e.event_at, e.received_at,
             e.message_id COLLATE "C");

CREATE TEMP TABLE s2 ON COMMIT DROP AS
WITH segs AS (
    SELECT ord, event_at, uid, utm_key, click_key, new_seg,
           sum(dev_start) OVER o AS dev, sum(new_seg) OVER o AS seg
    FROM s1 WINDOW o AS (ORDER BY ord)
), campaign AS (
    -- rule 2: the previous event with a UTM set (click ids) and its segment; a different set, or the
    -- first one of a segment that began without it, starts a new session
    SELECT segs.*,
           CASE WHEN new_seg = 0 AND (
                    (utm_key IS NOT NULL AND (lag(seg) OVER u IS DISTINCT FROM seg OR lag(utm_key) OVER u <> utm_key))
                 OR (click_key IS NOT NULL AND (lag(seg) OVER c IS DISTINCT FROM seg OR lag(click_key) OVER c <> click_key)))
                THEN 1 ELSE 0 END AS camp_break
    FROM segs
    WINDOW u AS (PARTITION BY utm_key IS NULL ORDER BY ord), c AS (PARTITION BY click_key IS NULL ORDER BY ord)
), subs AS (
    SELECT campaign.*, sum(greatest(new_seg, camp_break)) OVER (ORDER BY ord) AS sub FROM campaign
), slices AS (
    -- rule 3: 24 h slices from the sub-session's first event
    SELECT subs.*, floor(extract(epoch FROM event_at - min(event_at) OVER (PARTITION BY sub)) / 86400) AS slice
    FROM subs
), breaks AS (
    SELECT slices.*,
           CASE WHEN (sub, slice) IS DISTINCT FROM (lag(sub) OVER o, lag(slice) OVER o) THEN 1 ELSE 0 END AS psess_break
    FROM slices WINDOW o AS (ORDER BY ord)
)
SELECT ord, dev, uid, psess_break,
       sum(psess_break) OVER o AS psess,       -- preliminary session (rules 1-3)
       count(uid) OVER o AS id_grp             -- identification group: an identified event and those after it
FROM breaks WINDOW o AS (ORDER BY ord);

CREATE TEMP TABLE s3 ON COMMIT DROP AS
WITH grp AS (
    SELECT s2.*,
           CASE WHEN min(dev) OVER g = dev THEN max(uid) OVER g END AS rec_user,
           CASE WHEN min(dev) OVER g = dev THEN min(psess) OVER g END AS rec_sess,
           first_value(uid) OVER (PARTITION BY psess ORDER BY uid IS NULL, ord
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS sess_first_user,
           first_value(uid) OVER (PARTITION BY dev ORDER BY uid IS NULL, ord
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS device_first_user
    FROM s2 WINDOW g AS (PARTITION BY id_grp)
), users AS (
    -- rule 4
    SELECT ord, dev, psess, psess_break,
           CASE WHEN rec_user IS NOT NULL AND rec_sess = psess THEN rec_user
                WHEN sess_first_user IS NOT NULL THEN sess_first_user
                WHEN rec_user IS NOT NULL THEN rec_user
                ELSE device_first_user END AS user_key
    FROM grp
), splits AS (
    -- rule 5
    SELECT users.*,
           CASE WHEN psess_break = 1 OR user_key IS DISTINCT FROM lag(user_key) OVER o THEN 1 ELSE 0 END AS sess_break
    FROM users WINDOW o AS (ORDER BY ord)
)
SELECT ord, dev, user_key, sum(sess_break) OVER (ORDER BY ord) AS sess_no FROM splits;

CREATE TEMP TABLE assigned ON COMMIT DROP AS
SELECT s1.project_id, s1.device_id, s1.message_id, s1.event_type, s1.event_at, s1.received_at, s1.uid, s1.ord, s3.dev,
       s1.is_new, s1.old_session_id, s1.old_seq, s1.old_user_key,
       md5(s1.project_id || '/' || first_value(s1.message_id) OVER sess) AS session_id,
       (row_number() OVER sess)::integer AS session_event_sequence,
       s3.user_key
FROM s1 JOIN s3 USING (ord)
WINDOW sess AS (PARTITION BY s3.sess_no ORDER BY s1.ord);
ANALYZE assigned;
