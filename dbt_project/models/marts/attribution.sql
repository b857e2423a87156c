{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        change_scope='people',
        change_log_upstream=['intermediate.int_conversions_deduplicated', 'marts.conversions', 'marts.sessions'],
        on_schema_change='fail',
        post_hook="{{ record_change_consumed() }}",
        indexes=[
            {'columns': ['project_id', 'conversion_id', 'model', 'session_id'], 'unique': true},
            {'columns': ['project_id', 'blended_user_id']},
        ],
    )
}}

{#- Multi-touch attribution. Touchpoints of a conversion: the converting session and the person's
    earlier sessions (all devices: sessions share blended_user_id across devices through identity)
    started within var('attribution_lookback_days') before the conversion. Every model gives every
    touchpoint a row (credit 0 when it gets nothing); credits sum to 1 per conversion and model.
    A sessionless conversion (a server-side event) has no converting session: its touchpoints are the
    person's sessions started within the lookback up to the conversion. Credits and revenue credits
    are numeric (exact, the same on every rebuild); revenue is the reporting revenue.
    Incremental on the change log: every conversion of the changed persons. -#}

{%- set lookback_days = var('attribution_lookback_days') -%}
{%- set half_life_days = var('attribution_half_life_days') -%}
{%- set first_weight = var('attribution_position_first_weight') -%}
{%- set last_weight = var('attribution_position_last_weight') -%}

-- depends_on: {{ source('core', 'change_log') }}  (read by the change-log macros in incremental runs)
-- depends_on: {{ ref('int_conversions_deduplicated') }}

with

{{ changed_people_cte() }}

conversions as (
    select * from {{ ref('conversions') }}
    {% if change_log_incremental() %}
    where (project_id, blended_user_id) in (select project_id, blended_user_id from changed_people)
    {% endif %}
),

sessions as (
    select * from {{ ref('sessions') }}
    {% if change_log_incremental() %}
    where (project_id, blended_user_id) in (select project_id, blended_user_id from changed_people)
    {% endif %}
),

conversions_with_session as (
    select
        conversions.*,
        coalesce(converting.started_at, conversions.converted_at) as converting_session_started_at
    from conversions
    left join sessions as converting
        on converting.project_id = conversions.project_id
        and converting.session_id = conversions.session_id
),

touchpoints as (
    select
        c.project_id,
        c.conversion_id,
        c.blended_user_id,
        c.event_name as conversion_event_name,
        c.converted_at,
        c.reporting_revenue as revenue,
        s.session_id,
        s.started_at as session_started_at,
        s.channel,
        s.source,
        s.medium,
        s.campaign,
        coalesce(s.session_id = c.session_id, false) as is_converting_session,
        greatest(extract(epoch from (c.converted_at - s.started_at)), 0) / 86400 as days_before_conversion,
        s.channel in {{ sql_string_list(var('attribution_direct_channels')) }} as is_direct
    from conversions_with_session as c
    join sessions as s
        on s.project_id = c.project_id
        and s.blended_user_id = c.blended_user_id
        and (
            s.session_id = c.session_id
            or (
                s.started_at >= c.converted_at - interval '{{ lookback_days }} days'
                and (
                    (s.started_at, s.session_id) < (c.converting_session_started_at, c.session_id)
                    or (c.session_id is null and s.started_at <= c.converted_at)
                )
            )
        )
),

positioned as (
    select
        touchpoints.*,
        row_number() over conversion_touches as touchpoint_number,
        count(*) over (partition by project_id, conversion_id) as touchpoint_count,
        round(power(0.5::numeric, days_before_conversion / cast({{ half_life_days }} as numeric)), 12) as decay_weight
    from touchpoints
    window conversion_touches as (
        partition by project_id, conversion_id order by session_started_at, session_id
    )
),

last_non_direct as (
    select
        project_id,
        conversion_id,
        -- the latest touch whose channel is not direct, else the last touch
        coalesce(
            max(case when not is_direct then touchpoint_number end),
            max(touchpoint_count)
        ) as credited_touchpoint_number
    from positioned
    group by project_id, conversion_id
),

weighted as (
    select
        p.*,
        sum(p.decay_weight) over (partition by p.project_id, p.conversion_id) as decay_weight_total,
        l.credited_touchpoint_number as last_non_direct_touchpoint_number
    from positioned as p
    join last_non_direct as l
        on l.project_id = p.project_id and l.conversion_id = p.conversion_id
),

models as (
    select 'first_touch' as model, 1 as model_order
    union all
    select 'last_touch', 2
    union all
    select 'last_non_direct', 3
    union all
    select 'linear', 4
    union all
    select 'position_based', 5
    union all
    select 'time_decay', 6
),

credited as (
    select
        w.*,
        m.model,
        case m.model
            when 'first_touch' then case when w.touchpoint_number = 1 then 1.0 else 0.0 end
            when 'last_touch' then case when w.touchpoint_number = w.touchpoint_count then 1.0 else 0.0 end
            when 'last_non_direct' then
                case when w.touchpoint_number = w.last_non_direct_touchpoint_number then 1.0 else 0.0 end
            when 'linear' then 1.0 / w.touchpoint_count
            when 'position_based' then
                case
                    when w.touchpoint_count = 1 then 1.0
                    when w.touchpoint_count = 2 then
                        case when w.touchpoint_number = 1
                            then {{ first_weight }} / ({{ first_weight }} + {{ last_weight }})
                            else {{ last_weight }} / ({{ first_weight }} + {{ last_weight }})
                        end
                    when w.touchpoint_number = 1 then {{ first_weight }}
                    when w.touchpoint_number = w.touchpoint_count then {{ last_weight }}
                    else (1.0 - {{ first_weight }} - {{ last_weight }}) / (w.touchpoint_count - 2)
                end
            when 'time_decay' then w.decay_weight / w.decay_weight_total
        end::numeric as raw_credit
    from weighted as w
    cross join models as m
),

final as (
    select
        project_id,
        conversion_id,
        model,
        session_id,
        blended_user_id,
        conversion_event_name,
        converted_at,
        touchpoint_number,
        touchpoint_count,
        session_started_at,
        days_before_conversion,
        is_converting_session,
        channel,
        source,
        medium,
        campaign,
        -- 12 decimals, trailing zeros trimmed: the same digits on every rebuild
        trim_scale(round(raw_credit, 12)) as credit,
        round(trim_scale(round(raw_credit, 12)) * revenue, 6) as revenue_credit
    from credited
)

select * from final
