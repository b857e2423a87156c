{#- Daily session metrics by channel, source, medium, campaign, device type and country (UTC days;
    missing values as '(not set)'). Revenue in the project's reporting currency; sums are numeric, so
    two rebuilds give the same digits. Incremental on the change log: the days of the changed persons'
    sessions and the days core logged for the sessions it rewrote (before and after) are recomputed
    from marts.sessions. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        change_scope='days',
        change_log_upstream=['intermediate.int_conversions_deduplicated', 'marts.conversions', 'marts.sessions'],
        on_schema_change='fail',
        post_hook="{{ record_change_consumed() }}",
        indexes=[{'columns': ['project_id', 'session_date']}],
    )
}}

-- depends_on: {{ source('core', 'change_log') }}  (read by the change-log macros in incremental runs)
-- depends_on: {{ ref('int_conversions_deduplicated') }}

with

{% if change_log_incremental() %}
affected_days as (
    {{ changed_days() }}
),
{% endif %}

sessions as (
    select * from {{ ref('sessions') }}
    {% if change_log_incremental() %}
    where (project_id, session_date) in (select project_id, session_date from affected_days)
    {% endif %}
),

dimensioned as (
    select
        project_id,
        session_date,
        coalesce(channel, '(not set)') as channel,
        coalesce(source, '(not set)') as source,
        coalesce(medium, '(not set)') as medium,
        coalesce(campaign, '(not set)') as campaign,
        coalesce(device_type, '(not set)') as device_type,
        coalesce(country_code, '(not set)') as country_code,
        country,
        blended_user_id,
        is_first_session,
        is_bounce,
        is_engaged,
        duration_seconds::numeric as duration_seconds,
        page_views,
        conversions,
        revenue,
        engaged_seconds
    from sessions
),

final as (
    select
        project_id,
        session_date,
        channel,
        source,
        medium,
        campaign,
        device_type,
        country_code,
        coalesce(max(country), '(not set)') as country,
        count(*) as sessions,
        count(distinct blended_user_id) as people,
        count(distinct blended_user_id) filter (where is_first_session) as new_people,
        count(*) filter (where is_engaged) as engaged_sessions,
        count(*) filter (where is_bounce) as bounces,
        (count(*) filter (where is_bounce))::numeric / count(*) as bounce_rate,
        sum(duration_seconds) as total_duration_seconds,
        avg(duration_seconds) as avg_session_duration_seconds,
        sum(page_views) as page_views,
        sum(page_views)::numeric / count(*) as pages_per_session,
        sum(conversions) as conversions,
        count(*) filter (where conversions > 0) as converting_sessions,
        (count(*) filter (where conversions > 0))::numeric / count(*) as conversion_rate,
        sum(revenue) as revenue,
        sum(engaged_seconds) as total_engaged_seconds,
        avg(engaged_seconds) as avg_engaged_seconds
    from dimensioned
    group by 1, 2, 3, 4, 5, 6, 7, 8
)

select * from final
