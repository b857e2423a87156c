{#- One row per person (blended_user_id): an identified user across all their devices, or an
    anonymous device never identified. Incremental on core's change log: every person core changed
    (and the persons sharing an order with them) is recomputed from marts.sessions, marts.conversions
    and core's profiles; equals a full refresh. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        unique_key=['project_id', 'blended_user_id'],
        change_scope='people',
        change_log_upstream=['intermediate.int_conversions_deduplicated', 'marts.conversions', 'marts.sessions'],
        on_schema_change='fail',
        post_hook="{{ record_change_consumed() }}",
        indexes=[{'columns': ['project_id', 'blended_user_id'], 'unique': true}],
    )
}}

-- depends_on: {{ source('core', 'change_log') }}  (read by the change-log macros in incremental runs)
-- depends_on: {{ ref('int_conversions_deduplicated') }}

{%- set incremental = change_log_incremental() %}

with

{{ changed_people_cte() }}

sessions as (
    select * from {{ ref('sessions') }}
    {% if incremental %}
    where (project_id, blended_user_id) in (select project_id, blended_user_id from changed_people)
    {% endif %}
),

conversions as (
    select * from {{ ref('conversions') }}
    {% if incremental %}
    where (project_id, blended_user_id) in (select project_id, blended_user_id from changed_people)
    {% endif %}
),

profiles as (
    select * from {{ ref('stg_core__user_profiles') }}
    {% if incremental %}
    where (project_id, user_key) in (select project_id, blended_user_id from changed_people)
    {% endif %}
),

session_stats as (
    select
        project_id,
        blended_user_id,
        max(user_id) as user_id,
        min(started_at) as first_seen_at,
        max(ended_at) as last_seen_at,
        count(*) as sessions,
        sum(page_views) as page_views,
        count(*) filter (where is_engaged) as engaged_sessions,
        array_agg(distinct device_id order by device_id) as devices
    from sessions
    group by project_id, blended_user_id
),

first_sessions as (
    select * from sessions where session_number = 1
),

last_sessions as (
    select distinct on (project_id, blended_user_id) *
    from sessions
    order by project_id asc, blended_user_id asc, session_number desc
),

conversion_stats as (
    select
        project_id,
        blended_user_id,
        count(*) as conversions,
        sum(reporting_revenue) as revenue,
        min(converted_at) as first_converted_at,
        max(converted_at) as last_converted_at
    from conversions
    group by project_id, blended_user_id
),

people as (
    select project_id, blended_user_id from session_stats
    union
    select project_id, user_key from profiles
),

final as (
    select
        people.project_id,
        people.blended_user_id,
        coalesce(profiles.user_key, session_stats.user_id) as user_id,
        coalesce(profiles.user_key, session_stats.user_id) is not null as is_identified,
        {%- for trait in var('user_trait_columns') %}
        profiles.traits ->> '{{ trait }}' as {{ adapter.quote(trait) }},
        {%- endfor %}
        coalesce(profiles.traits, '{}'::jsonb) as traits,
        coalesce(session_stats.first_seen_at, profiles.first_seen_at) as first_seen_at,
        coalesce(session_stats.last_seen_at, profiles.last_seen_at) as last_seen_at,
        coalesce(session_stats.devices, profiles.devices, '{}'::text[]) as devices,
        coalesce(cardinality(session_stats.devices), 0) as device_count,
        coalesce(profiles.emails_seen, '{}'::text[]) as emails_seen,
        coalesce(session_stats.sessions, 0) as sessions,
        coalesce(session_stats.engaged_sessions, 0) as engaged_sessions,
        coalesce(session_stats.page_views, 0) as page_views,
        coalesce(conversion_stats.conversions, 0) as conversions,
        coalesce(conversion_stats.revenue, 0) as revenue,
        conversion_stats.first_converted_at,
        conversion_stats.last_converted_at,
        first_sessions.channel as first_touch_channel,
        first_sessions.source as first_touch_source,
        first_sessions.medium as first_touch_medium,
        first_sessions.campaign as first_touch_campaign,
        first_sessions.landing_page_url as first_landing_page_url,
        first_sessions.referrer_url as first_referrer_url,
        last_sessions.channel as last_touch_channel,
        last_sessions.source as last_touch_source,
        last_sessions.medium as last_touch_medium,
        last_sessions.campaign as last_touch_campaign,
        first_sessions.device_type as first_device_type,
        first_sessions.country_code as first_country_code
    from people
    left join session_stats
        on session_stats.project_id = people.project_id and session_stats.blended_user_id = people.blended_user_id
    left join profiles
        on profiles.project_id = people.project_id and profiles.user_key = people.blended_user_id
    left join conversion_stats
        on conversion_stats.project_id = people.project_id and conversion_stats.blended_user_id = people.blended_user_id
    left join first_sessions
        on first_sessions.project_id = people.project_id and first_sessions.blended_user_id = people.blended_user_id
    left join last_sessions
        on last_sessions.project_id = people.project_id and last_sessions.blended_user_id = people.blended_user_id
)

select * from final
