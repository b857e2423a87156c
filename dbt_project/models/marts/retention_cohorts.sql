{#- Weekly and monthly cohorts of people by their first session (UTC; weeks start on Monday).
    Period n of a cohort is its n-th week or month after the cohort start. Classic retention: people
    active (a session) in period n; unbounded: active in period n or any later period. Only periods
    that have begun by the project's as-of day are reported: its latest session day, never later than
    today (a session dated in the future neither creates periods nor counts as activity); the period in
    progress has is_period_complete = false. A table rebuilt on every run from
    int_people_activity_periods (incremental per person): a small aggregate whose rows change with
    every new session. The as-of day comes from stg_core__sessions (the sessions of marts.sessions, one
    row per core session with the same start), so the model does not wait for the sessions mart. -#}
{{ config(materialized='table') }}

{%- set max_period = var('retention_max_period') -%}
{%- set grains = ['week', 'month'] -%}

with

activity as (
    select * from {{ ref('int_people_activity_periods') }}
),

project_bounds as (
    -- the as-of day: the latest session day (sessions after today are left out)
    select project_id, max(started_at at time zone 'UTC')::date as last_activity_date
    from {{ ref('stg_core__sessions') }}
    where (started_at at time zone 'UTC')::date <= current_date
    group by project_id
),

person_cohorts as (
    select project_id, cohort_grain, cohort_start, blended_user_id, max(period_number) as last_period_number
    from activity
    group by project_id, cohort_grain, cohort_start, blended_user_id
),

cohort_sizes as (
    select project_id, cohort_grain, cohort_start, count(*) as cohort_size
    from person_cohorts
    group by project_id, cohort_grain, cohort_start
),

periods as (
    select period_number from generate_series(0, {{ max_period }}) as period_number
),

grid as (
    select
        cohort_sizes.*,
        periods.period_number,
        cast(
            case cohort_sizes.cohort_grain
                {%- for grain in grains %}
                when '{{ grain }}' then {{ dbt.dateadd(grain, 'periods.period_number', 'cohort_sizes.cohort_start') }}
                {%- endfor %}
            end as date
        ) as period_start,
        cast(
            case cohort_sizes.cohort_grain
                {%- for grain in grains %}
                when '{{ grain }}' then {{ dbt.dateadd(grain, 'periods.period_number + 1', 'cohort_sizes.cohort_start') }}
                {%- endfor %}
            end as date
        ) as period_end
    from cohort_sizes
    cross join periods
),

classic as (
    select project_id, cohort_grain, cohort_start, period_number, count(*) as active_people
    from activity
    where period_number <= {{ max_period }}
    group by project_id, cohort_grain, cohort_start, period_number
),

unbounded as (
    select
        person_cohorts.project_id,
        person_cohorts.cohort_grain,
        person_cohorts.cohort_start,
        periods.period_number,
        count(*) as retained_people_unbounded
    from person_cohorts
    join periods on periods.period_number <= person_cohorts.last_period_number
    group by 1, 2, 3, 4
),

final as (
    select
        grid.project_id,
        grid.cohort_grain,
        grid.cohort_start,
        grid.period_number,
        grid.period_start,
        grid.period_end,
        grid.period_end <= least(project_bounds.last_activity_date + 1, current_date) as is_period_complete,
        grid.cohort_size,
        coalesce(classic.active_people, 0) as active_people,
        coalesce(unbounded.retained_people_unbounded, 0) as retained_people_unbounded,
        coalesce(classic.active_people, 0)::double precision / grid.cohort_size as classic_retention_rate,
        coalesce(unbounded.retained_people_unbounded, 0)::double precision / grid.cohort_size as unbounded_retention_rate
    from grid
    join project_bounds
        on project_bounds.project_id = grid.project_id
    left join classic
        on classic.project_id = grid.project_id
        and classic.cohort_grain = grid.cohort_grain
        and classic.cohort_start = grid.cohort_start
        and classic.period_number = grid.period_number
    left join unbounded
        on unbounded.project_id = grid.project_id
        and unbounded.cohort_grain = grid.cohort_grain
        and unbounded.cohort_start = grid.cohort_start
        and unbounded.period_number = grid.period_number
    where grid.period_start <= project_bounds.last_activity_date
)

select * from final
