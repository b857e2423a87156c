{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        unique_key=['project_id', 'page_view_id'],
        change_scope='logged_people',
        on_schema_change='fail',
        post_hook="{{ record_change_consumed() }}",
        indexes=[
            {'columns': ['project_id', 'page_view_id'], 'unique': true},
            {'columns': ['project_id', 'blended_user_id']},
        ],
    )
}}

{#- One row per page (and screen) view of every SDK, bots excluded, with its place in its session and,
    for touchline.js, its engaged time and scroll depth. touchline.js tags its "Page Ping" (heartbeat),
    "Page Scrolled" and "Page Ended" events with properties.page_view_id, the page view's messageId;
    they count for the view when they belong to the same person (blended_user_id), so a person's changes
    in core's change log are the whole incremental scope.

    Engaged seconds (Snowplow's page pings): the tracker splits time on the page into heartbeat windows
    (data-heartbeat-seconds, 15 s) and adds a window's length when the page was visible and the user
    active in it (scroll, mouse, key, touch; the page view itself counts as activity), the last partial
    window included in "Page Ended". Each ping and the page end carry that running total; the view's
    engaged_seconds is the largest total received, so a lost ping or a lost page end costs at most one
    window. Null when no such event arrived (other SDKs, or touchline.js with heartbeat and page-end off). -#}

-- depends_on: {{ source('core', 'change_log') }}  (read by the change-log macros in incremental runs)

with

{% if change_log_incremental() %}
changed_people as (
    {{ logged_people() }}
),
{% endif %}

{#- The events of the scope, read twice (macros/change_log.sql). -#}
{%- set scoped_events = scoped_events() %}

views as (
    select
        project_id,
        event_id as page_view_id,
        event_type as view_type,
        session_id,
        session_event_sequence,
        device_id,
        anonymous_id,
        user_key as user_id,
        blended_user_id,
        event_at as viewed_at,
        page_url as url,
        page_path as path,
        coalesce(page_title, case when event_type = 'screen' then event_name end) as title,
        page_referrer as referrer
    from {{ scoped_events }}
    where event_type in ('page', 'screen')
),

activity as (
    {{ page_view_activity(scoped_events) | indent(4) }}
),

sequenced as (
    select
        views.*,
        case when views.session_id is not null then
            row_number() over session_views
        end as page_view_index,
        case when views.session_id is not null then
            lead(views.viewed_at) over session_views
        end as next_viewed_at,
        case when views.session_id is not null then
            count(*) over (partition by views.project_id, views.session_id)
        end as session_page_views
    from views
    window session_views as (
        partition by views.project_id, views.session_id
        order by views.session_event_sequence, views.page_view_id
    )
),

final as (
    select
        sequenced.project_id,
        sequenced.page_view_id,
        sequenced.view_type,
        sequenced.session_id,
        sequenced.device_id,
        sequenced.anonymous_id,
        sequenced.user_id,
        sequenced.blended_user_id,

        sequenced.viewed_at,
        (sequenced.viewed_at at time zone 'UTC')::date as view_date,
        sequenced.url,
        sequenced.path,
        sequenced.title,
        sequenced.referrer,

        sequenced.page_view_index,
        sequenced.page_view_index = 1 as is_entrance,
        sequenced.page_view_index = sequenced.session_page_views as is_exit,
        extract(epoch from sequenced.next_viewed_at - sequenced.viewed_at)::double precision
            as seconds_to_next_view,

        activity.engaged_seconds,
        activity.max_scroll_depth,
        coalesce(activity.heartbeats, 0) as heartbeats,
        coalesce(activity.has_page_end, false) as has_page_end
    from sequenced
    left join activity
        on activity.project_id = sequenced.project_id
        and activity.blended_user_id = sequenced.blended_user_id
        and activity.page_view_id = sequenced.page_view_id
)

select * from final
