-- The devices this run recomputes: those in the batch, and those whose user ids changed canonical user
-- (an alias). dev_events holds, narrow, what sessionizing reads of their whole history: the batch's
-- new events and the events core already holds (with their current session and user, so that the write
-- step rewrites only rows that change). core.run_users: the users these devices had before this run.
CREATE TEMP TABLE affected_devices ON COMMIT DROP AS
SELECT DISTINCT project_id, device_id FROM batch_events
UNION
SELECT DISTINCT e.project_id, e.device_id FROM core.events e
JOIN changed_ids c ON c.project_id = e.project_id AND c.user_id = e.user_id;
ALTER TABLE affected_devices ADD PRIMARY KEY (project_id, device_id);
ANALYZE affected_devices;

CREATE TEMP TABLE dev_events ON COMMIT DROP AS
SELECT project_id, device_id, message_id, event_type, event_at, received_at, user_id, is_bot, is_new,
       old_session_id, old_seq, old_user_key,
       CASE WHEN num_nonnulls(utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id) > 0
            THEN md5(concat_ws(E'\x1f', 'u', utm_source, 'm', utm_medium, 'c', utm_campaign, 't', utm_term,
                               'n', utm_content, 'i', utm_id))::uuid END AS utm_key,
       CASE WHEN num_nonnulls(gclid, gbraid, wbraid, fbclid, msclkid, ttclid, li_fat_id) > 0
            THEN md5(concat_ws(E'\x1f', 'g', gclid, 'gb', gbraid, 'wb', wbraid, 'f', fbclid, 'm', msclkid,
                               't', ttclid, 'l', li_fat_id))::uuid END AS click_key
FROM (
    SELECT project_id, device_id, message_id, event_type, event_at, received_at, user_id, is_bot, true AS is_new,
           NULL::text AS old_session_id, NULL::integer AS old_seq, NULL::text AS old_user_key,
           utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id,
           gclid, gbraid, wbraid, fbclid, msclkid, ttclid, li_fat_id
    FROM batch_events
    UNION ALL
    SELECT e.project_id, e.device_id, e.message_id, e.event_type, e.event_at, e.received_at, e.user_id, e.is_bot, false,
           e.session_id, e.session_event_sequence, e.user_key,
           e.utm_source, e.utm_medium, e.utm_campaign, e.utm_term, e.utm_content, e.utm_id,
           e.gclid, e.gbraid, e.wbraid, e.fbclid, e.msclkid, e.ttclid, e.li_fat_id
    FROM core.events e JOIN affected_devices a ON a.project_id = e.project_id AND a.device_id = e.device_id
) d;

DROP TABLE IF EXISTS core.run_users;
CREATE UNLOGGED TABLE core.run_users AS
SELECT DISTINCT project_id, old_user_key AS user_key FROM dev_events WHERE old_user_key IS NOT NULL;
