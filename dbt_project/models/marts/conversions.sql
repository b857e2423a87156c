{#- One row per conversion (an order counts once: duplicates stay in int_conversions_deduplicated).
    Amount and currency as sent; revenue in the project's reporting currency (ops.projects
    .reporting_currency) through the rates of the currency_rates seed: the rate dated on or before the
    conversion day, else the undated one. No rate: reporting_revenue is null (warning check
    assert_conversions_have_exchange_rate). Incremental on the change log (changed persons). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='scoped_delete_insert',
        unique_key=['project_id', 'conversion_id'],
        change_scope='people',
        change_log_upstream=['intermediate.int_conversions_deduplicated'],
        on_schema_change='fail',
        post_hook="{{ record_change_consumed() }}",
        indexes=[
            {'columns': ['project_id', 'conversion_id'], 'unique': true},
            {'columns': ['project_id', 'blended_user_id']},
            {'columns': ['project_id', 'session_id']},
        ],
    )
}}

-- depends_on: {{ source('core', 'change_log') }}  (read by the change-log macros in incremental runs)

with

conversions as (
    select * from {{ ref('int_conversions_deduplicated') }}
    where not is_duplicate
    {% if change_log_incremental() %}
      and (project_id, blended_user_id) in (
        {{ changed_people() | indent(8) }}
      )
    {% endif %}
),

projects as (
    -- ops.projects: the project settings (touchline projects set NAME reporting_currency EUR)
    select project_id, reporting_currency from ops.projects
),

rates as (
    select * from {{ ref('currency_rates') }}
),

currencies as (
    select
        conversions.*,
        (conversions.converted_at at time zone 'UTC')::date as converted_date,
        coalesce(conversions.currency, '{{ var("default_conversion_currency") }}') as amount_currency,
        coalesce(projects.reporting_currency, '{{ var("default_reporting_currency") }}') as reporting_currency
    from conversions
    left join projects on projects.project_id = conversions.project_id
),

converted as (
    select
        currencies.*,
        case
            when currencies.amount_currency = currencies.reporting_currency then 1::numeric
            else to_rate.units_per_usd / from_rate.units_per_usd
        end as exchange_rate
    from currencies
    left join lateral ({{ rate_on('rates', 'currencies.amount_currency', 'currencies.converted_date') }}) as from_rate on true
    left join lateral ({{ rate_on('rates', 'currencies.reporting_currency', 'currencies.converted_date') }}) as to_rate on true
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
        converted_date,
        revenue,
        currency,
        order_id,
        dedup_key,
        reporting_currency,
        exchange_rate,
        round(revenue * exchange_rate, 6) as reporting_revenue
    from converted
)

select * from final
