-- One select, no WITH list, so that a filter on persons reaches core's index (docs/architecture.md D14).

select
    -- keys
    project_id,
    message_id as event_id,
    session_id,
    session_event_sequence,
    device_id,
    anonymous_id,
    user_id as sent_user_id,
    user_key,
    blended_user_id,

    -- what and when (UTC)
    event_type,
    event_name,
    event_at,
    event_date,
    received_at,
    properties,
    traits,

    -- page
    page_url,
    page_path,
    page_title,
    page_referrer,
    referrer_host,
    referrer_class,

    -- device and geo
    browser,
    os,
    device_type,
    is_bot,
    country_code,
    country,
    region,
    city,

    -- campaign
    utm_source,
    utm_medium,
    utm_campaign,
    utm_term,
    utm_content,
    channel

from {{ source('core', 'events') }}
