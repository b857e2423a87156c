-- Replace everything core holds for the devices this run touched with what final_events says.
DELETE FROM core.events e USING affected_devices a
WHERE e.project_id = a.project_id AND e.device_id = a.device_id;

INSERT INTO core.events (
    project_id, message_id, event_type, event_name, anonymous_id, user_id, previous_id, device_id,
    event_at, event_date, received_at, sent_at, properties, traits, page_url, page_path, page_title,
    page_referrer, referrer_host, ip_truncated, country_code, country, region, city, time_zone, latitude,
    longitude, local_hour, local_weekday, browser, browser_version, os, os_version, device_type, is_bot,
    utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id, gclid, gbraid, wbraid, fbclid,
    msclkid, ttclid, li_fat_id, referrer_class, channel, session_id, session_event_sequence, user_key,
    blended_user_id)
SELECT
    project_id, message_id, event_type, event_name, anonymous_id, user_id, previous_id, device_id,
    event_at, event_date, received_at, sent_at, properties, traits, page_url, page_path, page_title,
    page_referrer, referrer_host, ip_truncated, country_code, country, region, city, time_zone, latitude,
    longitude, local_hour, local_weekday, browser, browser_version, os, os_version, device_type, is_bot,
    utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id, gclid, gbraid, wbraid, fbclid,
    msclkid, ttclid, li_fat_id, referrer_class, channel, session_id, session_event_sequence, user_key,
    blended_user_id
FROM final_events;

DELETE FROM core.sessions s USING affected_devices a
WHERE s.project_id = a.project_id AND s.device_id = a.device_id;

INSERT INTO core.sessions
WITH agg AS (
    SELECT project_id, session_id,
           min(event_at) AS started_at, max(event_at) AS ended_at,
           count(*)::integer AS event_count,
           (count(*) FILTER (WHERE event_type IN ('page', 'screen')))::integer AS page_view_count,
           max(session_event_sequence) FILTER (WHERE event_type IN ('page', 'screen')) AS last_page_seq,
           max(session_event_sequence) AS last_seq
    FROM final_events WHERE session_id IS NOT NULL
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
JOIN final_events f ON f.project_id = a.project_id AND f.session_id = a.session_id AND f.session_event_sequence = 1
JOIN final_events l ON l.project_id = a.project_id AND l.session_id = a.session_id
                   AND l.session_event_sequence = coalesce(a.last_page_seq, a.last_seq);

-- Device -> user over time: runs of the same user on a device, [valid_from, valid_to).
DELETE FROM core.identity_map m USING affected_devices a
WHERE m.project_id = a.project_id AND m.device_id = a.device_id;
DELETE FROM core.identity_merge_log m USING affected_devices a
WHERE m.project_id = a.project_id AND m.id_kind = 'device' AND m.id_value = a.device_id;

CREATE TEMP TABLE device_runs ON COMMIT DROP AS
WITH ordered AS (
    SELECT project_id, device_id, user_key, uid, message_id, event_at,
           row_number() OVER w AS ord,
           CASE WHEN user_key IS DISTINCT FROM lag(user_key) OVER w THEN 1 ELSE 0 END AS chg
    FROM final_events WHERE user_key IS NOT NULL
    WINDOW w AS (PARTITION BY project_id, device_id ORDER BY event_at, received_at, message_id)
), runs AS (
    SELECT o.*, sum(chg) OVER (PARTITION BY project_id, device_id ORDER BY ord) AS run FROM ordered o
)
SELECT project_id, device_id, run, min(user_key) AS user_key, min(event_at) AS valid_from,
       (array_agg(message_id ORDER BY ord) FILTER (WHERE uid = user_key))[1] AS cause_message_id,
       min(event_at) FILTER (WHERE uid = user_key) AS identified_at
FROM runs GROUP BY project_id, device_id, run;

INSERT INTO core.identity_map (project_id, device_id, user_key, valid_from, valid_to)
SELECT project_id, device_id, user_key, valid_from,
       lead(valid_from) OVER (PARTITION BY project_id, device_id ORDER BY run)
FROM device_runs;

INSERT INTO core.identity_merge_log (project_id, merged_at, id_kind, id_value, from_user_key, to_user_key, rule, cause_message_id)
SELECT project_id, coalesce(identified_at, valid_from), 'device', device_id,
       lag(user_key) OVER (PARTITION BY project_id, device_id ORDER BY run), user_key,
       CASE WHEN run = 1 THEN 'first_identification' ELSE 'user_change' END,
       coalesce(cause_message_id, '')
FROM device_runs;
