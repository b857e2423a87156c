{#- What touchline.js reported about each page view (properties.page_view_id, the view's messageId) in
    `events` (a relation or a parenthesised, aliased subquery of stg_core__events rows): one row per
    project, person and page view, clamped to what a page view can hold (0..24 h engaged, 0..100 %
    scrolled). Read by marts.page_views (its engaged time and scroll depth) and marts.sessions (its
    engaged time), each from the events of its own scope, so that sessions need not wait for page_views. -#}
{% macro page_view_activity(events) -%}
    select
        project_id,
        blended_user_id,
        properties ->> 'page_view_id' as page_view_id,
        least(greatest(round(max(
            case when event_name in ('Page Ping', 'Page Ended')
                then {{ json_numeric('properties', 'engaged_seconds') }}
            end
        )), 0), 86400)::integer as engaged_seconds,
        least(greatest(round(max(
            case when event_name = 'Page Scrolled'
                then {{ json_numeric('properties', 'depth') }}
                else {{ json_numeric('properties', 'max_scroll_depth') }}
            end
        )), 0), 100)::integer as max_scroll_depth,
        count(*) filter (where event_name = 'Page Ping') as heartbeats,
        bool_or(event_name = 'Page Ended') as has_page_end
    from {{ events }}
    where event_type = 'track'
      and event_name in ('Page Ping', 'Page Scrolled', 'Page Ended')
      and properties ->> 'page_view_id' is not null
    group by project_id, blended_user_id, properties ->> 'page_view_id'
{%- endmacro %}
