{#-
  Incremental scope shared by the history marts (sessions, conversions, attribution,
  session_summary_daily).

  window_start(project) = newest `time_column` of the mart for that project
                          - var('incremental_lookback_days').
  Touched devices = devices with a session (core, current state) started on or after window_start.
  Touched people  = people of those sessions, plus every person with any session on a touched
                    device (a device identified now re-stitches its earlier sessions; a shared device
                    changes hands).
  Recomputing every row of the touched people, and deleting their old rows plus the rows keyed like
  the new ones, gives what a full refresh gives: identity changes reach a person's history only
  through events in the window (identify, alias, late events).

  Both macros are only called when is_incremental().
-#}
{% macro window_starts(time_column) -%}
    select project_id,
           max({{ time_column }}) - interval '{{ var("incremental_lookback_days") }} days' as window_start
    from {{ this }}
    group by project_id
{%- endmacro %}

{#- SQL of the set (project_id, blended_user_id) of touched people. -#}
{% macro touched_people(time_column) -%}
    with window_starts as (
        {{ window_starts(time_column) }}
    ),
    window_sessions as (
        select s.project_id, s.device_id, s.blended_user_id
        from {{ ref('stg_core__sessions') }} as s
        left join window_starts as w on w.project_id = s.project_id
        where w.window_start is null or s.started_at >= w.window_start
    ),
    touched_devices as (
        select distinct project_id, device_id from window_sessions
    )
    select project_id, blended_user_id from window_sessions
    union
    select s.project_id, s.blended_user_id
    from {{ ref('stg_core__sessions') }} as s
    join touched_devices as d on d.project_id = s.project_id and d.device_id = s.device_id
{%- endmacro %}

