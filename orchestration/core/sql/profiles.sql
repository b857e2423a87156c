-- core.user_profiles for the users this run touched (core.run_users). Seen-at times, devices, session
-- count and first touch come from core.sessions (a session belongs to one user, bots have none); traits
-- merge by rule (temp table profile_rules, default %(default_rule)s) over the user's events that carry
-- traits, in event order (index events_user_traits).
DELETE FROM core.user_profiles p USING core.run_users u
WHERE p.project_id = u.project_id AND p.user_key = u.user_key;

CREATE TEMP TABLE profile_sessions ON COMMIT DROP AS
SELECT s.project_id, s.user_key, s.session_id, s.device_id, s.started_at, s.ended_at, s.utm_source, s.utm_medium,
       s.utm_campaign, s.referrer, s.landing_page_url
FROM core.sessions s JOIN core.run_users u ON u.project_id = s.project_id AND u.user_key = s.user_key;

CREATE TEMP TABLE trait_values ON COMMIT DROP AS
SELECT p.project_id, p.user_key, t.key, t.value, p.ord, coalesce(r.rule, %(default_rule)s) AS rule
FROM (
    SELECT e.project_id, e.user_key, e.traits,
           row_number() OVER (PARTITION BY e.project_id, e.user_key ORDER BY e.event_at, e.received_at, e.message_id) AS ord
    FROM core.events e JOIN core.run_users u ON u.project_id = e.project_id AND u.user_key = e.user_key
    WHERE e.traits IS NOT NULL AND e.user_key IS NOT NULL AND NOT e.is_bot
) p
CROSS JOIN LATERAL jsonb_each(p.traits) t
LEFT JOIN profile_rules r ON r.key = t.key
WHERE t.value <> 'null'::jsonb;

INSERT INTO core.user_profiles (project_id, user_key, first_seen_at, last_seen_at, traits, email, name, plan,
    first_utm_source, first_utm_medium, first_utm_campaign, initial_referrer, landing_page,
    devices, emails_seen, session_count)
WITH merged AS (
    SELECT project_id, user_key, key,
           CASE min(rule)
               WHEN 'set_once' THEN (array_agg(value ORDER BY ord))[1]
               WHEN 'latest' THEN (array_agg(value ORDER BY ord DESC))[1]
           END AS value
    FROM trait_values WHERE rule IN ('set_once', 'latest')
    GROUP BY project_id, user_key, key
    UNION ALL
    SELECT project_id, user_key, key, jsonb_agg(value ORDER BY first_ord)
    FROM (SELECT project_id, user_key, key, value, min(ord) AS first_ord
          FROM trait_values WHERE rule = 'append' GROUP BY project_id, user_key, key, value) a
    GROUP BY project_id, user_key, key
), traits AS (
    SELECT project_id, user_key, jsonb_object_agg(key, value) AS traits FROM merged GROUP BY project_id, user_key
), emails AS (
    SELECT project_id, user_key, array_agg(email ORDER BY first_ord) AS emails_seen
    FROM (SELECT project_id, user_key, value #>> '{}' AS email, min(ord) AS first_ord
          FROM trait_values WHERE key = 'email' AND jsonb_typeof(value) = 'string'
          GROUP BY project_id, user_key, value #>> '{}') x
    GROUP BY project_id, user_key
), devices AS (
    SELECT project_id, user_key, array_agg(device_id ORDER BY first_at, device_id) AS devices
    FROM (SELECT project_id, user_key, device_id, min(started_at) AS first_at FROM profile_sessions GROUP BY 1, 2, 3) d
    GROUP BY project_id, user_key
), base AS (
    SELECT project_id, user_key, min(started_at) AS first_seen_at, max(ended_at) AS last_seen_at,
           count(*)::integer AS session_count
    FROM profile_sessions GROUP BY project_id, user_key
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
