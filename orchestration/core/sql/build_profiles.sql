-- step build_profiles
-- reads: core.run_users, core.sessions, core.events, core.identity_map, profile_rules
-- writes: core.user_profiles
-- creates: profile_sessions, trait_values
-- params: default_rule (the merge rule of traits profile_rules does not name)
--
-- core.user_profiles for the users this run touched (core.run_users). Seen-at times, devices, session
-- count and first touch come from core.sessions, devices from core.identity_map (a session belongs to one user, bots have none); traits
-- merge by rule (temp table profile_rules) over the user's events that set traits (core.events.traits:
-- identify, $set; traits_set_once: $set_once, always set_once), in event order (index events_user_traits).
-- An explicit null clears a `latest` trait; `set_once` and `append` ignore nulls.
DELETE FROM core.user_profiles p USING core.run_users u
WHERE p.project_id = u.project_id AND p.user_key = u.user_key;

CREATE TEMP TABLE profile_sessions ON COMMIT DROP AS
SELECT s.project_id, s.user_key, s.session_id, s.device_id, s.started_at, s.ended_at, s.utm_source, s.utm_medium,
       s.utm_campaign, s.referrer, s.landing_page_url
FROM core.sessions s JOIN core.run_users u ON u.project_id = s.project_id AND u.user_key = s.user_key;

CREATE TEMP TABLE trait_values ON COMMIT DROP AS
SELECT p.project_id, p.user_key, t.key, t.value, p.ord,
       CASE WHEN p.once THEN 'set_once' ELSE coalesce(r.rule, %(default_rule)s) END AS rule
FROM (
    SELECT e.project_id, e.user_key, s.traits, s.once,
           row_number() OVER (PARTITION BY e.project_id, e.user_key ORDER BY e.event_at, e.received_at, e.message_id) AS ord
    FROM core.events e JOIN core.run_users u ON u.project_id = e.project_id AND u.user_key = e.user_key
    CROSS JOIN LATERAL (VALUES (e.traits, false), (e.traits_set_once, true)) s(traits, once)
    WHERE e.traits IS NOT NULL AND e.user_key IS NOT NULL AND NOT e.is_bot AND s.traits IS NOT NULL
) p
CROSS JOIN LATERAL jsonb_each(p.traits) t
LEFT JOIN profile_rules r ON r.key = t.key;

INSERT INTO core.user_profiles (project_id, user_key, first_seen_at, last_seen_at, traits, email, name, plan,
    first_utm_source, first_utm_medium, first_utm_campaign, initial_referrer, landing_page,
    devices, emails_seen, session_count)
WITH merged AS (
    SELECT project_id, user_key, key,
           CASE min(rule)
               WHEN 'set_once' THEN (array_agg(value ORDER BY ord) FILTER (WHERE value <> 'null'::jsonb))[1]
               WHEN 'latest' THEN (array_agg(value ORDER BY ord DESC))[1]  -- an explicit null clears
           END AS value
    FROM trait_values WHERE rule IN ('set_once', 'latest')
    GROUP BY project_id, user_key, key
    UNION ALL
    SELECT project_id, user_key, key, jsonb_agg(value ORDER BY first_ord)
    FROM (SELECT project_id, user_key, key, value, min(ord) AS first_ord
          FROM trait_values WHERE rule = 'append' AND value <> 'null'::jsonb GROUP BY project_id, user_key, key, value) a
    GROUP BY project_id, user_key, key
), traits AS (
    SELECT project_id, user_key, jsonb_object_agg(key, value) AS traits FROM merged
    WHERE value IS NOT NULL AND value <> 'null'::jsonb GROUP BY project_id, user_key
), emails AS (
    SELECT project_id, user_key, array_agg(email ORDER BY first_ord) AS emails_seen
    FROM (SELECT project_id, user_key, value #>> '{}' AS email, min(ord) AS first_ord
          FROM trait_values WHERE key = 'email' AND jsonb_typeof(value) = 'string'
          GROUP BY project_id, user_key, value #>> '{}') x
    GROUP BY project_id, user_key
), devices AS (
    -- every device the person was mapped to (identity_map), sessions or not, in order of first use
    SELECT project_id, user_key, array_agg(device_id ORDER BY first_at, device_id) AS devices
    FROM (SELECT m.project_id, m.user_key, m.device_id, min(m.valid_from) AS first_at
          FROM core.identity_map m JOIN core.run_users u ON u.project_id = m.project_id AND u.user_key = m.user_key
          GROUP BY 1, 2, 3) d
    GROUP BY project_id, user_key
), base AS (
    SELECT project_id, user_key, min(started_at) AS first_seen_at, max(ended_at) AS last_seen_at,
           count(*)::integer AS session_count
    FROM profile_sessions GROUP BY project_id, user_key
    UNION ALL
    -- a person without a session (identify or server events only): seen at their events' times
    SELECT u.project_id, u.user_key, min(e.event_at), max(e.event_at), 0
    FROM core.run_users u
    JOIN (SELECT DISTINCT project_id, user_key, device_id FROM core.identity_map) m
      ON m.project_id = u.project_id AND m.user_key = u.user_key
    JOIN core.events e ON e.project_id = m.project_id AND e.device_id = m.device_id AND e.user_key = u.user_key
    WHERE NOT EXISTS (SELECT 1 FROM profile_sessions s WHERE s.project_id = u.project_id AND s.user_key = u.user_key)
    GROUP BY u.project_id, u.user_key
), first_session AS (
    SELECT DISTINCT ON (project_id, user_key) project_id, user_key, utm_source, utm_medium, utm_campaign, referrer,
           landing_page_url
    FROM profile_sessions
    ORDER BY project_id, user_key, started_at, session_id
)
SELECT b.project_id, b.user_key, b.first_seen_at, b.last_seen_at, coalesce(t.traits, '{}'::jsonb),
       t.traits ->> 'email', t.traits ->> 'name', t.traits ->> 'plan',
       f.utm_source, f.utm_medium, f.utm_campaign, f.referrer, f.landing_page_url,
       coalesce(d.devices, '{}'), coalesce(em.emails_seen, '{}'), b.session_count
FROM base b
LEFT JOIN traits t USING (project_id, user_key)
LEFT JOIN emails em USING (project_id, user_key)
LEFT JOIN devices d USING (project_id, user_key)
LEFT JOIN first_session f USING (project_id, user_key);
