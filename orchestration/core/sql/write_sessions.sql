-- step write_sessions
-- reads: assigned, changed_events, affected_devices, core.events
-- writes: core.sessions, core.identity_map, core.identity_merge_log
-- creates: touched_sessions, device_runs, device_runs_linked
--
-- The sessions and the identity map of the devices this run touched, rebuilt from `assigned` and
-- core.events (written by write_events.sql). Only sessions that gain, lose or change an event are
-- rewritten: those of new events, and the old and new sessions of changed events.
CREATE TEMP TABLE touched_sessions ON COMMIT DROP AS
SELECT project_id, session_id FROM assigned WHERE is_new AND session_id IS NOT NULL
UNION
SELECT project_id, session_id FROM changed_events WHERE session_id IS NOT NULL AND is_device_event
UNION
SELECT project_id, old_session_id FROM changed_events WHERE old_session_id IS NOT NULL AND is_device_event;
ANALYZE touched_sessions;

DELETE FROM core.sessions s USING touched_sessions t
WHERE s.project_id = t.project_id AND s.session_id = t.session_id;

-- A session's attributes are those of its first event (landing) and of its last page view (exit; its
-- last event when it has no page view), read back from core.events.
INSERT INTO core.sessions
WITH agg AS (
    SELECT project_id, session_id,
           min(event_at) AS started_at, max(event_at) AS ended_at,
           count(*)::integer AS event_count,
           (count(*) FILTER (WHERE event_type IN ('page', 'screen')))::integer AS page_view_count,
           min(message_id) FILTER (WHERE session_event_sequence = 1) AS first_message_id,
           max(ord) FILTER (WHERE event_type IN ('page', 'screen')) AS last_page_ord,
           max(ord) AS last_ord
    FROM assigned
    WHERE (project_id, session_id) IN (SELECT project_id, session_id FROM touched_sessions)
    GROUP BY project_id, session_id
)
SELECT f.project_id, f.session_id, f.device_id, f.anonymous_id, f.user_key, f.blended_user_id,
       a.started_at, a.ended_at, extract(epoch FROM a.ended_at - a.started_at), a.event_count, a.page_view_count,
       f.page_url, f.page_path, l.page_url, l.page_path,
       f.page_referrer, f.referrer_host, f.referrer_class, f.channel,
       f.utm_source, f.utm_medium, f.utm_campaign, f.utm_term, f.utm_content, f.utm_id,
       f.gclid, f.gbraid, f.wbraid, f.fbclid, f.msclkid, f.ttclid, f.li_fat_id,
       f.browser, f.os, f.device_type, f.country_code, f.country, f.region, f.city
FROM agg a
JOIN assigned x ON x.ord = coalesce(a.last_page_ord, a.last_ord)
JOIN core.events f ON f.project_id = a.project_id AND f.message_id = a.first_message_id
JOIN core.events l ON l.project_id = x.project_id AND l.message_id = x.message_id;

-- Device -> user over time: runs of the same user on a device, [valid_from, valid_to), and the merge log.
-- A device read from its cut keeps its rows before the cut; the run of its context row continues the
-- kept run that was current at the cut, which gets its new end.
DELETE FROM core.identity_map m USING affected_devices a
WHERE m.project_id = a.project_id AND m.device_id = a.device_id AND (a.cut IS NULL OR m.valid_from >= a.cut);
DELETE FROM core.identity_merge_log m USING affected_devices a
WHERE m.project_id = a.project_id AND m.id_kind = 'device' AND m.id_value = a.device_id
  AND (a.cut IS NULL OR m.merged_at >= a.cut);

CREATE TEMP TABLE device_runs ON COMMIT DROP AS
WITH ordered AS (
    SELECT project_id, device_id, device_start_ord, user_key, uid, message_id, event_at, ord, is_context,
           CASE WHEN ((device_start_ord, user_key) IS DISTINCT FROM (lag(device_start_ord) OVER w, lag(user_key) OVER w)) THEN 1 ELSE 0 END AS chg
    FROM assigned WHERE user_key IS NOT NULL
    WINDOW w AS (ORDER BY ord)
), runs AS (
    SELECT o.*, sum(chg) OVER (ORDER BY ord) AS run FROM ordered o
)
SELECT project_id, device_id, device_start_ord, run, min(user_key) AS user_key, bool_or(is_context) AS continued,
       min(event_at) AS valid_from,
       (array_agg(message_id ORDER BY ord) FILTER (WHERE uid = user_key))[1] AS cause_message_id,
       min(event_at) FILTER (WHERE uid = user_key) AS identified_at
FROM runs GROUP BY project_id, device_id, device_start_ord, run;

CREATE TEMP TABLE device_runs_linked ON COMMIT DROP AS
SELECT r.*, lead(valid_from) OVER d AS valid_to, lag(user_key) OVER d AS from_user_key,
       row_number() OVER d = 1 AND NOT continued AS first_run
FROM device_runs r WINDOW d AS (PARTITION BY device_start_ord ORDER BY run);

UPDATE core.identity_map m SET valid_to = r.valid_to
FROM device_runs_linked r JOIN affected_devices a ON a.project_id = r.project_id AND a.device_id = r.device_id
WHERE r.continued AND m.project_id = r.project_id AND m.device_id = r.device_id
  AND m.valid_from = (SELECT max(k.valid_from) FROM core.identity_map k
                      WHERE k.project_id = r.project_id AND k.device_id = r.device_id AND k.valid_from < a.cut);

INSERT INTO core.identity_map (project_id, device_id, user_key, valid_from, valid_to)
SELECT project_id, device_id, user_key, valid_from, valid_to FROM device_runs_linked WHERE NOT continued;

INSERT INTO core.identity_merge_log (project_id, merged_at, id_kind, id_value, from_user_key, to_user_key, rule, cause_message_id)
SELECT project_id, coalesce(identified_at, valid_from), 'device', device_id, from_user_key, user_key,
       CASE WHEN first_run THEN 'first_identification' ELSE 'user_change' END, coalesce(cause_message_id, '')
FROM device_runs_linked WHERE NOT continued;
