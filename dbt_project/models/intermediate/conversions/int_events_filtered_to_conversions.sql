-- Conversion events: track events named in var('conversion_events'), bots excluded, with revenue
-- read from the first numeric property of var('revenue_properties').
with

events as (
    select * from {{ ref('stg_core__events') }}
),

conversions as (
    select
        project_id,
        event_id as conversion_id,
        event_name,
        event_at as converted_at,
        session_id,
        device_id,
        anonymous_id,
        user_key,
        blended_user_id,
        coalesce({{ revenue_from('properties') }}, 0) as revenue,
        nullif(upper(btrim(properties ->> 'currency')), '') as currency,
        nullif(btrim(properties ->> 'order_id'), '') as order_id
    from events
    where event_type = 'track'
      and event_name in {{ sql_string_list(var('conversion_events')) }}
      and not is_bot
      and session_id is not null
)

select * from conversions
