{#- Every conversion event, each flagged: an order is one conversion. Events of the same conversion
    event name sharing a dedup key (var('conversion_dedup_keys'), default order_id else checkout_id,
    for var('conversion_dedup_events'), default Order Completed) are one order; the first by
    (event time, received_at, messageId) counts, the others are kept here with is_duplicate and
    left out of marts.conversions, revenue and attribution.
    Incremental on the change log: the persons core changed, plus every conversion sharing an order
    key with theirs (a late earlier copy of an order flips which copy counts). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        unique_key=['project_id', 'conversion_id'],
        change_scope='logged_people',
        on_schema_change='fail',
        post_hook="{{ record_change_consumed() }}",
        indexes=[
            {'columns': ['project_id', 'conversion_id'], 'unique': true},
            {'columns': ['project_id', 'blended_user_id']},
            {'columns': ['project_id', 'dedup_key']},
        ],
    )
}}

-- depends_on: {{ source('core', 'change_log') }}  (read by the change-log macros in incremental runs)

{%- set columns = ['project_id', 'conversion_id', 'event_name', 'converted_at', 'received_at', 'session_id',
                   'device_id', 'anonymous_id', 'user_key', 'blended_user_id', 'revenue', 'currency',
                   'order_id', 'dedup_key'] %}

with

{% if change_log_incremental() %}
logged as (
    {{ logged_people() }}
),

fresh as (
    select {{ columns | join(', ') }}
    from {{ ref('int_events_filtered_to_conversions') }}
    where (project_id, blended_user_id) in (select project_id, blended_user_id from logged)
),

order_keys as (
    select distinct project_id, dedup_key from fresh where dedup_key is not null
),

candidates as (
    select * from fresh
    union all
    -- conversions of other persons that share an order with the fresh ones: unchanged, re-ranked
    select {% for c in columns %}kept.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ this }} as kept
    join order_keys as k on k.project_id = kept.project_id and k.dedup_key = kept.dedup_key
    where not exists (
        select 1 from logged as l
        where l.project_id = kept.project_id and l.blended_user_id = kept.blended_user_id
    )
),
{% else %}
candidates as (
    select {{ columns | join(', ') }} from {{ ref('int_events_filtered_to_conversions') }}
),
{% endif %}

ranked as (
    select
        candidates.*,
        case when dedup_key is not null then
            first_value(conversion_id) over (
                partition by project_id, event_name, dedup_key
                order by converted_at, received_at, conversion_id
            )
        end as first_conversion_id
    from candidates
)

select
    {{ columns | join(', ') }},
    coalesce(first_conversion_id <> conversion_id, false) as is_duplicate,
    case when first_conversion_id <> conversion_id then first_conversion_id end as duplicate_of_conversion_id
from ranked
