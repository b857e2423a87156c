with

source as (
    select * from {{ source('core', 'user_profiles') }}
),

renamed as (
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
    from source
)

select * from renamed
