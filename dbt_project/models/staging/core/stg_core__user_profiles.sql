-- One select, no WITH list, so that a filter on persons reaches core's index (docs/architecture.md D14).

select
    project_id,
    user_key,
    first_seen_at,
    last_seen_at,
    coalesce(traits, '{}'::jsonb) as traits,
    email,
    name,
    plan,
    first_utm_source,
    first_utm_medium,
    first_utm_campaign,
    initial_referrer,
    landing_page,
    devices,
    emails_seen,
    session_count

from {{ source('core', 'user_profiles') }}
