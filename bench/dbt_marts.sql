-- Synthetic core.* for bench/dbt_marts.py: :sessions sessions x 8 events on :devices devices over
-- ~120 days; 40% of devices identified (2 devices per user), varied channels, conversions in every
-- 10th (Order Completed) and 25th (Signed Up) session. Deterministic (no random()).
TRUNCATE core.events, core.sessions, core.user_profiles, core.identity_map, core.user_aliases;

CREATE TEMP TABLE bench_sessions AS
WITH s AS (
    SELECT n, (n % %(devices)s) + 1 AS d, n / %(devices)s AS k
    FROM generate_series(0, %(sessions)s - 1) AS n
)
SELECT
    n, d,
    'bench' AS project_id,
    'sess_' || n AS session_id,
    'dev_' || d AS device_id,
    CASE WHEN d % 5 < 2 THEN 'user_' || (d / 2) END AS user_key,
    timestamptz '2024-01-01 00:00+00' + make_interval(days => (d % 30) + k * 9, mins => (d * 7) % 1380) AS started_at,
    n % 8 AS kind
FROM s;

INSERT INTO core.sessions (
    project_id, session_id, device_id, anonymous_id, user_key, blended_user_id, started_at, ended_at,
    duration_seconds, event_count, page_view_count, landing_page_url, landing_page_path, exit_page_url, exit_page_path,
    referrer, referrer_host, referrer_class, channel, utm_source, utm_medium, utm_campaign, gclid,
    browser, os, device_type, country_code, country, region, city)
SELECT
    project_id, session_id, device_id, device_id, user_key, coalesce(user_key, device_id), started_at,
    started_at + interval '7 minutes', 420, 8, 7, 'https://shop.example.com/', '/', 'https://shop.example.com/p6', '/p6',
    CASE kind WHEN 1 THEN 'https://www.google.com/' WHEN 2 THEN 'https://t.co/x' WHEN 3 THEN 'https://blog.example.org/a' END,
    CASE kind WHEN 1 THEN 'www.google.com' WHEN 2 THEN 't.co' WHEN 3 THEN 'blog.example.org' END,
    CASE kind WHEN 1 THEN 'search' WHEN 2 THEN 'social' WHEN 3 THEN 'referral' ELSE 'direct' END,
    CASE kind WHEN 0 THEN 'Direct' WHEN 1 THEN 'Organic Search' WHEN 2 THEN 'Organic Social' WHEN 3 THEN 'Referral'
              WHEN 4 THEN 'Paid Search' WHEN 5 THEN 'Email' WHEN 6 THEN 'Paid Social' ELSE NULL END,
    CASE kind WHEN 4 THEN 'google' WHEN 5 THEN 'newsletter' WHEN 6 THEN 'facebook' WHEN 7 THEN 'partner' END,
    CASE kind WHEN 4 THEN 'cpc' WHEN 5 THEN 'email' WHEN 6 THEN 'paid_social' WHEN 7 THEN 'affiliate' END,
    CASE WHEN kind IN (4, 5, 6, 7) THEN 'campaign_' || (n % 12) END,
    CASE kind WHEN 4 THEN 'gclid_' || n END,
    'Chrome', 'Windows', CASE WHEN d % 3 = 0 THEN 'mobile' ELSE 'desktop' END,
    (ARRAY['DE', 'FR', 'US', 'GB', 'NL'])[1 + d % 5], (ARRAY['Germany', 'France', 'United States', 'United Kingdom', 'Netherlands'])[1 + d % 5],
    NULL, NULL
FROM bench_sessions;

INSERT INTO core.events (
    project_id, message_id, event_type, event_name, anonymous_id, user_id, device_id, event_at, event_date, received_at,
    properties, traits, page_url, page_path, referrer_class, channel, device_type, country_code, is_bot,
    session_id, session_event_sequence, user_key, blended_user_id)
SELECT
    s.project_id, s.session_id || '_' || e, CASE WHEN e < 8 THEN 'page' ELSE 'track' END,
    CASE WHEN e < 8 THEN 'page' WHEN s.n % 10 = 0 THEN 'Order Completed' WHEN s.n % 25 = 0 THEN 'Signed Up' ELSE 'Product Viewed' END,
    s.device_id, s.user_key, s.device_id, s.started_at + make_interval(mins => e - 1),
    ((s.started_at + make_interval(mins => e - 1)) AT TIME ZONE 'UTC')::date, s.started_at + make_interval(mins => e - 1),
    CASE WHEN e = 8 THEN jsonb_build_object('revenue', (s.n % 200) + 0.5, 'currency', 'EUR') ELSE '{}'::jsonb END, '{}'::jsonb,
    CASE WHEN e < 8 THEN 'https://shop.example.com/p' || (e - 1) END, CASE WHEN e < 8 THEN '/p' || (e - 1) END,
    'direct', NULL, 'desktop', 'DE', false,
    s.session_id, e, s.user_key, coalesce(s.user_key, s.device_id)
FROM bench_sessions AS s
CROSS JOIN generate_series(1, 8) AS e;

INSERT INTO core.user_profiles (project_id, user_key, first_seen_at, last_seen_at, traits, email, name, plan, devices, session_count)
SELECT project_id, user_key, min(started_at), max(started_at),
       jsonb_build_object('email', user_key || '@example.com', 'plan', CASE WHEN length(user_key) % 2 = 0 THEN 'pro' ELSE 'free' END),
       user_key || '@example.com', NULL, NULL, array_agg(DISTINCT device_id), count(*)
FROM bench_sessions WHERE user_key IS NOT NULL
GROUP BY project_id, user_key;

ANALYZE core.events;
ANALYZE core.sessions;
ANALYZE core.user_profiles;
