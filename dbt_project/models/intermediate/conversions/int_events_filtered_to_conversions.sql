-- Conversion events: track events named in var('conversion_events'), bots excluded, sessionless ones
-- included (a server-side order of a known person with no session in progress), with the amount read
-- from the first numeric property of var('revenue_properties'), the currency as sent, and the order
-- key that duplicates share (var('conversion_dedup_events') / var('conversion_dedup_keys')).
-- A single select, no CTE: the incremental models filter this view on changed persons, which reaches
-- core's index only through a view without a WITH list (docs/architecture.md D14).

select
    project_id,
    event_id as conversion_id,
    event_name,
    event_at as converted_at,
    received_at,
    session_id,
    device_id,
    anonymous_id,
    user_key,
    blended_user_id,
    coalesce({{ revenue_from('properties') }}, 0) as revenue,
    nullif(upper(btrim(properties ->> 'currency')), '') as currency,
    nullif(btrim(properties ->> 'order_id'), '') as order_id,
    case when event_name in {{ sql_string_list(var('conversion_dedup_events')) }} then
        coalesce(
            {%- for key in var('conversion_dedup_keys') %}
            '{{ key }}=' || nullif(btrim(properties ->> '{{ key }}'), ''),
            {%- endfor %}
            null
        )
    end as dedup_key
from {{ ref('stg_core__events') }}
where
    event_type = 'track'
    and event_name in {{ sql_string_list(var('conversion_events')) }}
    and not is_bot
