-- step collect_devices
-- reads: batch_events, changed_user_ids, core.events, core.sessions, core.identity_map,
--        core.identity_merge_log, ops.projects
-- writes: core.run_users
-- creates: affected_devices, device_events
-- fragments: {{click_key}} (enrichment/traffic.py)
--
-- The devices this run recomputes, and how much of each device's history it reads (device_events).
--
-- Devices: those of the batch, and those whose user ids changed canonical user (an alias).
-- Interactive: page, screen and track with an anonymous id, except touchline.js's "Page Ended" (sent on
-- pagehide, maybe hours after the last activity: it joins the session in progress like an identify and
-- never starts one; its "Page Ping" heartbeats, sent only while the user is active, are interactive).
-- History: sessions are cut per segment (a gap over the inactivity timeout always starts a new session),
-- so events before the segment that the device's earliest new event falls in or joins (its `cut`) keep
-- their sessions. They keep their users too when the device was identified before the cut: then the
-- events from the cut on need only the user last identified before it, which the context row carries
-- (a synthetic event, before the cut by more than the timeout, never written back). Otherwise (no
-- identification before the cut: a new one may re-stitch the anonymous past; re-aliased users; a new
-- event before all sessions) the device's whole history is read.
CREATE TEMP TABLE affected_devices ON COMMIT DROP AS
WITH devices AS (
    SELECT project_id, device_id, min(earliest_new_event_at) AS earliest_new_event_at, bool_or(realiased) AS realiased
    FROM (
        SELECT project_id, device_id, min(event_at) AS earliest_new_event_at, false AS realiased FROM batch_events GROUP BY 1, 2
        UNION ALL
        SELECT DISTINCT e.project_id, e.device_id, NULL::timestamptz, true FROM core.events e
        JOIN changed_user_ids c ON c.project_id = e.project_id AND c.user_id = e.user_id
    ) d
    GROUP BY project_id, device_id
), sessions AS (
    SELECT s.project_id, s.device_id, s.started_at, d.earliest_new_event_at,
           coalesce(s.started_at - lag(s.ended_at) OVER w > make_interval(mins => coalesce(p.session_timeout_minutes, 30)),
                    true) AS segment_start
    FROM core.sessions s
    JOIN devices d ON d.project_id = s.project_id AND d.device_id = s.device_id AND NOT d.realiased
    LEFT JOIN ops.projects p ON p.project_id = s.project_id
    WINDOW w AS (PARTITION BY s.project_id, s.device_id ORDER BY s.started_at, s.ended_at)
), cuts AS (
    SELECT project_id, device_id, max(started_at) AS cut FROM sessions
    WHERE segment_start AND started_at <= earliest_new_event_at
    GROUP BY project_id, device_id
)
SELECT d.project_id, d.device_id, identified_before_cut.cut, identified_before_cut.context_user
FROM devices d
LEFT JOIN cuts c ON c.project_id = d.project_id AND c.device_id = d.device_id
LEFT JOIN LATERAL (
    SELECT c.cut, m.user_key AS context_user FROM core.identity_map m
    WHERE m.project_id = d.project_id AND m.device_id = d.device_id AND m.valid_from < c.cut
      AND EXISTS (SELECT 1 FROM core.identity_merge_log l
                  WHERE l.project_id = d.project_id AND l.id_kind = 'device' AND l.id_value = d.device_id
                    AND l.rule = 'first_identification' AND l.merged_at < c.cut)
    ORDER BY m.valid_from DESC LIMIT 1
) identified_before_cut ON true;
ALTER TABLE affected_devices ADD PRIMARY KEY (project_id, device_id);
ANALYZE affected_devices;

CREATE TEMP TABLE device_events ON COMMIT DROP AS
SELECT project_id, device_id, message_id, event_type, event_at, received_at, user_id, is_bot, is_new, is_context,
       is_device_event, is_interactive,
       old_session_id, old_seq, old_user_key,
       CASE WHEN num_nonnulls(utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id) > 0
            THEN md5(concat_ws(E'\x1f', 'u', utm_source, 'm', utm_medium, 'c', utm_campaign, 't', utm_term,
                               'n', utm_content, 'i', utm_id))::uuid END AS utm_key,
       {{click_key}} AS click_key
FROM (
    SELECT project_id, device_id, message_id, event_type, event_at, received_at, user_id, is_bot, true AS is_new,
           false AS is_context, anonymous_id IS NOT NULL AS is_device_event,
           event_type IN ('page', 'screen', 'track') AND anonymous_id IS NOT NULL
           AND event_name IS DISTINCT FROM 'Page Ended' AS is_interactive, NULL::text AS old_session_id, NULL::integer AS old_seq, NULL::text AS old_user_key,
           utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id,
           gclid, gbraid, wbraid, fbclid, msclkid, ttclid, li_fat_id
    FROM batch_events
    UNION ALL
    SELECT e.project_id, e.device_id, e.message_id, e.event_type, e.event_at, e.received_at, e.user_id, e.is_bot, false,
           false, e.anonymous_id IS NOT NULL,
           e.event_type IN ('page', 'screen', 'track') AND e.anonymous_id IS NOT NULL AND e.event_name IS DISTINCT FROM 'Page Ended',
           e.session_id, e.session_event_sequence, e.user_key,
           e.utm_source, e.utm_medium, e.utm_campaign, e.utm_term, e.utm_content, e.utm_id,
           e.gclid, e.gbraid, e.wbraid, e.fbclid, e.msclkid, e.ttclid, e.li_fat_id
    FROM core.events e JOIN affected_devices a ON a.project_id = e.project_id AND a.device_id = e.device_id
    WHERE NOT e.is_bot AND e.event_at >= coalesce(a.cut, '-infinity')
    UNION ALL
    SELECT a.project_id, a.device_id, '', 'context', a.cut - make_interval(mins => coalesce(p.session_timeout_minutes, 30) + 1),
           a.cut, a.context_user, false, false, true, true, false, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM affected_devices a LEFT JOIN ops.projects p ON p.project_id = a.project_id
    WHERE a.cut IS NOT NULL
) d;

-- the users the recomputed events had before this run (their profiles are rebuilt)
TRUNCATE core.run_users;
INSERT INTO core.run_users
SELECT DISTINCT project_id, old_user_key FROM device_events WHERE old_user_key IS NOT NULL;
