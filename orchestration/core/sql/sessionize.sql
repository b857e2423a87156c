-- dev_events (every event of the devices this run touches) -> final_events: sessions cut, users stitched.
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
CREATE TEMP TABLE s1 ON COMMIT DROP AS
SELECT e.project_id, e.device_id, e.message_id, e.event_at,
       CASE WHEN e.user_id IS NOT NULL THEN coalesce(a.canonical_user_id, e.user_id) END AS uid,
       CASE WHEN num_nonnulls(e.utm_source, e.utm_medium, e.utm_campaign, e.utm_term, e.utm_content, e.utm_id) > 0
            THEN md5(concat_ws(E'\x1f', 'u', e.utm_source, 'm', e.utm_medium, 'c', e.utm_campaign, 't', e.utm_term,
                               'n', e.utm_content, 'i', e.utm_id)) END AS utm_key,
       CASE WHEN num_nonnulls(e.gclid, e.gbraid, e.wbraid, e.fbclid, e.msclkid, e.ttclid, e.li_fat_id) > 0
            THEN md5(concat_ws(E'\x1f', 'g', e.gclid, 'gb', e.gbraid, 'wb', e.wbraid, 'f', e.fbclid, 'm', e.msclkid,
                               't', e.ttclid, 'l', e.li_fat_id)) END AS click_key,
       CASE WHEN lag(e.event_at) OVER w IS NULL
              OR e.event_at - lag(e.event_at) OVER w > make_interval(mins => coalesce(p.session_timeout_minutes, 30))
            THEN 1 ELSE 0 END AS new_seg,
       row_number() OVER w AS ord
FROM dev_events e
LEFT JOIN ops.projects p ON p.project_id = e.project_id
LEFT JOIN core.user_aliases a ON a.project_id = e.project_id AND a.user_id = e.user_id
WHERE NOT e.is_bot
WINDOW w AS (PARTITION BY e.project_id, e.device_id ORDER BY e.event_at, e.received_at, e.message_id);

CREATE TEMP TABLE s2 ON COMMIT DROP AS
SELECT s.*, count(utm_key) OVER (PARTITION BY project_id, device_id, seg ORDER BY ord) AS utm_grp,
       count(click_key) OVER (PARTITION BY project_id, device_id, seg ORDER BY ord) AS click_grp
FROM (SELECT s1.*, sum(new_seg) OVER (PARTITION BY project_id, device_id ORDER BY ord) AS seg FROM s1) s;

CREATE TEMP TABLE s3 ON COMMIT DROP AS
SELECT t.*, sum(camp_break) OVER (PARTITION BY project_id, device_id, seg ORDER BY ord) AS sub
FROM (
    SELECT u.*,
           CASE WHEN new_seg = 0 AND (
                    (utm_key IS NOT NULL AND utm_key IS DISTINCT FROM lag(cur_utm) OVER seg_w)
                 OR (click_key IS NOT NULL AND click_key IS DISTINCT FROM lag(cur_click) OVER seg_w))
                THEN 1 ELSE 0 END AS camp_break
    FROM (SELECT s2.*, max(utm_key) OVER (PARTITION BY project_id, device_id, seg, utm_grp) AS cur_utm,
                 max(click_key) OVER (PARTITION BY project_id, device_id, seg, click_grp) AS cur_click FROM s2) u
    WINDOW seg_w AS (PARTITION BY project_id, device_id, seg ORDER BY ord)
) t;

-- preliminary sessions (rules 1-3), then identification groups
CREATE TEMP TABLE s4 ON COMMIT DROP AS
SELECT v.*,
       sum(psess_break) OVER (PARTITION BY project_id, device_id ORDER BY ord) AS psess,
       count(uid) OVER (PARTITION BY project_id, device_id ORDER BY ord) AS id_grp
FROM (
    SELECT s3.*,
           CASE WHEN new_seg = 1 OR camp_break = 1
                  OR floor(extract(epoch FROM event_at - min(event_at) OVER sub_w) / 86400)
                     <> floor(extract(epoch FROM lag(event_at) OVER ord_w - min(event_at) OVER sub_w) / 86400)
                THEN 1 ELSE 0 END AS psess_break
    FROM s3
    WINDOW sub_w AS (PARTITION BY project_id, device_id, seg, sub),
           ord_w AS (PARTITION BY project_id, device_id, seg, sub ORDER BY ord)
) v;

CREATE TEMP TABLE s5 ON COMMIT DROP AS
SELECT x.*,
       CASE WHEN rec_user IS NOT NULL AND rec_sess = psess THEN rec_user
            WHEN sess_first_user IS NOT NULL THEN sess_first_user
            WHEN rec_user IS NOT NULL THEN rec_user
            ELSE device_first_user END AS user_key
FROM (
    SELECT s4.*,
           max(uid) OVER (PARTITION BY project_id, device_id, id_grp) AS rec_user,
           max(CASE WHEN uid IS NOT NULL THEN psess END) OVER (PARTITION BY project_id, device_id, id_grp) AS rec_sess,
           first_value(uid) OVER (PARTITION BY project_id, device_id, psess ORDER BY uid IS NULL, ord
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS sess_first_user,
           first_value(uid) OVER (PARTITION BY project_id, device_id ORDER BY uid IS NULL, ord
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS device_first_user
    FROM s4
) x;

CREATE TEMP TABLE s6 ON COMMIT DROP AS
SELECT y.project_id, y.device_id, y.message_id, y.ord, y.uid, y.user_key,
       sum(CASE WHEN psess_break = 1 OR user_break THEN 1 ELSE 0 END)
           OVER (PARTITION BY project_id, device_id ORDER BY ord) AS sess_no
FROM (
    SELECT s5.*,
           coalesce(user_key IS DISTINCT FROM lag(user_key) OVER (PARTITION BY project_id, device_id, psess ORDER BY ord), false) AS user_break
    FROM s5
) y;

CREATE TEMP TABLE final_events ON COMMIT DROP AS
SELECT e.project_id, e.message_id, e.event_type, e.event_name, e.anonymous_id, e.user_id, e.previous_id,
       e.device_id, e.event_at, e.event_date, e.received_at, e.sent_at, e.properties, e.traits,
       e.page_url, e.page_path, e.page_title, e.page_referrer, e.referrer_host, e.ip_truncated,
       e.country_code, e.country, e.region, e.city, e.time_zone, e.latitude, e.longitude,
       e.local_hour, e.local_weekday, e.browser, e.browser_version, e.os, e.os_version, e.device_type, e.is_bot,
       e.utm_source, e.utm_medium, e.utm_campaign, e.utm_term, e.utm_content, e.utm_id,
       e.gclid, e.gbraid, e.wbraid, e.fbclid, e.msclkid, e.ttclid, e.li_fat_id, e.referrer_class, e.channel,
       CASE WHEN z.message_id IS NOT NULL
            THEN md5(e.project_id || '/' || first_value(z.message_id) OVER sess) END AS session_id,
       CASE WHEN z.message_id IS NOT NULL THEN row_number() OVER sess END::integer AS session_event_sequence,
       z.user_key,
       coalesce(z.user_key, e.device_id) AS blended_user_id,
       z.uid
FROM dev_events e
LEFT JOIN s6 z ON z.project_id = e.project_id AND z.message_id = e.message_id
WINDOW sess AS (PARTITION BY e.project_id, e.device_id, z.sess_no ORDER BY z.ord);
