{#- A single select, no CTE: PostgreSQL does not flatten a view that has a WITH list into the query that
    reads it, so the incremental marts' filters on changed persons could not use core's indexes through
    it (docs/architecture.md D14). -#}

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
