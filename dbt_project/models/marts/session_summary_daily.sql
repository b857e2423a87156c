{#- Daily session metrics by channel, source, medium, campaign, device type and country (UTC days;
    missing values as '(not set)'). Incremental: the days of the touched people's sessions and the
    lookback window are recomputed from marts.sessions. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        delete_scopes=[['project_id', 'session_date']],
        window_column='session_date',
        on_schema_change='fail',
        indexes=[{'columns': ['project_id', 'session_date']}],
    )
}}

-- depends_on: {{ ref('stg_core__sessions') }}  (read by touched_people() in incremental runs)

with

{% if is_incremental() %}
touched_people as (
    {{ touched_people('session_date') }}
),

window_starts as (
    {{ window_starts('session_date') }}
),

affected_days as (
    select distinct s.project_id, s.session_date
    from {{ ref('sessions') }} as s
    where (s.project_id, s.blended_user_id) in (select project_id, blended_user_id from touched_people)
    union
    select s.project_id, s.session_date
    from {{ ref('sessions') }} as s
    left join window_starts as w on w.project_id = s.project_id
    where w.window_start is null or s.session_date >= w.window_start
),
{% endif %}

sessions as (
    select * from {{ ref('sessions') }}
    {% if is_incremental() %}
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
        duration_seconds,
        page_views,
        conversions,
        revenue
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
        (count(*) filter (where is_bounce))::double precision / count(*) as bounce_rate,
        sum(duration_seconds) as total_duration_seconds,
        avg(duration_seconds) as avg_session_duration_seconds,
        sum(page_views) as page_views,
        sum(page_views)::double precision / count(*) as pages_per_session,
        sum(conversions) as conversions,
        count(*) filter (where conversions > 0) as converting_sessions,
        (count(*) filter (where conversions > 0))::double precision / count(*) as conversion_rate,
        sum(revenue) as revenue
    from dimensioned
    group by 1, 2, 3, 4, 5, 6, 7, 8
)

select * from final
