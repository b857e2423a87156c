-- One select, no WITH list, so that a filter on persons reaches core's index (docs/architecture.md D14).

select
    -- keys
    project_id,
    session_id,
    device_id,
    anonymous_id,
    user_key,
    blended_user_id,

    -- time (UTC)
    started_at,
    ended_at,
    duration_seconds,
    event_count,
    page_view_count,

    -- pages
    landing_page_url,
    landing_page_path,
    exit_page_url,
    exit_page_path,
    referrer as referrer_url,
    referrer_host,
    referrer_class,
    channel,

    -- campaign
    utm_source,
    utm_medium,
    utm_campaign,
    utm_term,
    utm_content,
    utm_id,
    gclid,
    gbraid,
    wbraid,
    fbclid,
    msclkid,
    ttclid,
    li_fat_id,

    -- device and geo
    browser,
    os,
    device_type,
    country_code,
    country,
    region,
    city

from {{ source('core', 'sessions') }}
