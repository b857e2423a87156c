{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        unique_key=['project_id', 'session_id'],
        change_scope='people',
        change_log_upstream=['intermediate.int_conversions_deduplicated', 'marts.conversions'],
        on_schema_change='fail',
        post_hook="{{ record_change_consumed() }}",
        indexes=[
            {'columns': ['project_id', 'session_id'], 'unique': true},
            {'columns': ['project_id', 'blended_user_id', 'started_at']},
            {'columns': ['project_id', 'session_date']},
        ],
    )
}}

{#- One row per session of core.sessions, with the person's session number, its conversions and
    revenue (in the project's reporting currency; conversions without an exchange rate count, their
    revenue does not), and its engaged time (that of its page views in marts.page_views, computed from
    the same events by the macro page_view_activity). Incremental on the change log: every
    session of the changed persons. Duration: first to last event, extended to the end of the last
    page view's engaged time when that is later (a one-page visit whose heartbeats or page end came
    with the view's engaged seconds lasts at least those seconds). -#}

-- depends_on: {{ source('core', 'change_log') }}  (read by the change-log macros in incremental runs)
-- depends_on: {{ ref('int_conversions_deduplicated') }}

with

{{ changed_people_cte() }}

sessions as (
    select * from {{ ref('int_sessions_classified') }}
    {% if change_log_incremental() %}
    where (project_id, blended_user_id) in (select project_id, blended_user_id from changed_people)
    {% endif %}
),

{#- The events of the scope, read twice (macros/change_log.sql). -#}
{%- set scoped_events = scoped_events() %}

activity as (
    {{ page_view_activity(scoped_events) | indent(4) }}
),

session_conversions as (
    select
        project_id,
        session_id,
        count(*) as conversions,
        sum(reporting_revenue) as revenue
    from {{ ref('conversions') }}
    {% if change_log_incremental() %}
    where (project_id, blended_user_id) in (select project_id, blended_user_id from changed_people)
    {% endif %}
    group by project_id, session_id
    having session_id is not null
),

session_engagement as (
    -- null when no page view of the session reported engaged time (other SDKs); the session's page
    -- views and their engaged seconds as marts.page_views computes them, from the events themselves
    -- (sessions need not wait for page_views)
    select
        scoped_events.project_id,
        scoped_events.session_id,
        sum(activity.engaged_seconds) as engaged_seconds,
        max(scoped_events.event_at + make_interval(secs => activity.engaged_seconds)) as engaged_until
    from {{ scoped_events }}
    inner join activity
        on activity.project_id = scoped_events.project_id
        and activity.blended_user_id = scoped_events.blended_user_id
        and activity.page_view_id = scoped_events.event_id
    where scoped_events.event_type in ('page', 'screen')
      and scoped_events.session_id is not null
    group by scoped_events.project_id, scoped_events.session_id
),

joined as (
    select
        sessions.*,
        session_engagement.engaged_seconds,
        greatest(
            sessions.duration_seconds,
            extract(epoch from session_engagement.engaged_until - sessions.started_at)::double precision
        ) as engaged_duration_seconds,
        coalesce(session_conversions.conversions, 0) as conversions,
        coalesce(session_conversions.revenue, 0) as revenue,
        row_number() over person_sessions as session_number,
        coalesce(
            bool_or(sessions.is_paid) over (
                person_sessions rows between unbounded preceding and 1 preceding
            ),
            false
        ) as had_paid_session_before
    from sessions
    left join session_conversions
        on session_conversions.project_id = sessions.project_id
        and session_conversions.session_id = sessions.session_id
    left join session_engagement
        on session_engagement.project_id = sessions.project_id
        and session_engagement.session_id = sessions.session_id
    window person_sessions as (
        partition by sessions.project_id, sessions.blended_user_id
        order by sessions.started_at, sessions.session_id
    )
),

final as (
    select
        project_id,
        session_id,
        device_id,
        anonymous_id,
        user_key as user_id,
        blended_user_id,
        session_number,
        session_number = 1 as is_first_session,

        started_at,
        ended_at,
        (started_at at time zone 'UTC')::date as session_date,
        engaged_duration_seconds as duration_seconds,
        page_view_count as page_views,
        event_count as events,

        landing_page_url,
        landing_page_path,
        exit_page_url,
        exit_page_path,
        referrer_url,
        referrer_host,
        referrer_class,

        source,
        medium,
        campaign,
        utm_term as term,
        utm_content as content,
        resolved_channel as channel,
        click_id_type,
        has_paid_click_id,
        is_paid,
        case
            when is_paid then 'paid'
            when had_paid_session_before then 'ads_assisted'
            else 'organic'
        end as acquisition_class,

        browser,
        os,
        device_type,
        country_code,
        country,
        region,
        city,

        (
            engaged_duration_seconds >= {{ var('engaged_session_min_seconds') }}
            or page_view_count >= 2
            or conversions > 0
        ) as is_engaged,
        not (
            engaged_duration_seconds >= {{ var('engaged_session_min_seconds') }}
            or page_view_count >= 2
            or conversions > 0
        ) as is_bounce,
        conversions,
        revenue,
        engaged_seconds
    from joined
)

select * from final
