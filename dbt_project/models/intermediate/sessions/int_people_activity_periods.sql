{#- One row per person, cohort grain (week, month) and period in which the person had a session: the
    person's cohort (the week or month of their first session, UTC; weeks start on Monday) and the
    period number since it. Sessions dated after today are left out (they have not happened).
    What retention_cohorts aggregates. Incremental on core's change log: every row of the persons core
    logged is recomputed from stg_core__sessions. It reads the sessions of core (the rows of
    marts.sessions, one per core session, with the same person and start), not the mart: it needs only
    (project_id, blended_user_id, started_at), so it and retention_cohorts do not wait for the sessions
    mart, and a person's periods change only when core logs the person (an order shared with another
    person changes that person's conversions, never their sessions). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        change_scope='logged_people',
        on_schema_change='fail',
        post_hook="{{ record_change_consumed() }}",
        indexes=[{'columns': ['project_id', 'blended_user_id']}],
    )
}}

-- depends_on: {{ source('core', 'change_log') }}  (read by the change-log macros in incremental runs)

{%- set grains = ['week', 'month'] %}

with

{% if change_log_incremental() %}
logged_people as (
    {{ logged_people() | indent(4) }}
),
{% endif %}

sessions as (
    select
        project_id,
        blended_user_id,
        started_at at time zone 'UTC' as started_at_utc,
        min(started_at at time zone 'UTC') over (partition by project_id, blended_user_id) as first_seen_at_utc
    from {{ ref('stg_core__sessions') }}
    where (started_at at time zone 'UTC')::date <= current_date
    {% if change_log_incremental() %}
      and (project_id, blended_user_id) in (select project_id, blended_user_id from logged_people)
    {% endif %}
),

activity as (
    {%- for grain in grains %}
    select distinct
        project_id,
        blended_user_id,
        '{{ grain }}' as cohort_grain,
        cast({{ dbt.date_trunc(grain, 'first_seen_at_utc') }} as date) as cohort_start,
        cast({{ dbt.datediff(
            dbt.date_trunc(grain, 'first_seen_at_utc'),
            dbt.date_trunc(grain, 'started_at_utc'),
            grain) }} as integer) as period_number
    from sessions
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from activity
