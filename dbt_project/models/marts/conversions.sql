{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        unique_key=['project_id', 'conversion_id'],
        delete_scopes=[['project_id', 'blended_user_id']],
        on_schema_change='fail',
        indexes=[
            {'columns': ['project_id', 'conversion_id'], 'unique': true},
            {'columns': ['project_id', 'blended_user_id']},
            {'columns': ['project_id', 'session_id']},
        ],
    )
}}

-- depends_on: {{ ref('stg_core__sessions') }}  (read by touched_people() in incremental runs)

with

{% if is_incremental() %}
touched_people as (
    {{ touched_people('converted_at') }}
),

touched_sessions as (
    select s.project_id, s.session_id
    from {{ ref('stg_core__sessions') }} as s
    join touched_people as t
        on t.project_id = s.project_id and t.blended_user_id = s.blended_user_id
),
{% endif %}

conversions as (
    select * from {{ ref('int_events_filtered_to_conversions') }}
    {% if is_incremental() %}
    where (project_id, session_id) in (select project_id, session_id from touched_sessions)
    {% endif %}
),

final as (
    select
        project_id,
        conversion_id,
        blended_user_id,
        user_key as user_id,
        anonymous_id,
        device_id,
        session_id,
        event_name,
        converted_at,
        (converted_at at time zone 'UTC')::date as converted_date,
        revenue,
        currency,
        order_id
    from conversions
)

select * from final
