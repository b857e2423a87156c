{#- A numeric read from a jsonb object, or null when the key is missing or not a number.
    Accepts JSON numbers and numeric strings ("12.50"); never fails the query on bad input. -#}
{% macro json_numeric(json_column, key) -%}
    case
        when jsonb_typeof({{ json_column }} -> '{{ key }}') = 'number'
            then ({{ json_column }} ->> '{{ key }}')::numeric
        when jsonb_typeof({{ json_column }} -> '{{ key }}') = 'string'
            and btrim({{ json_column }} ->> '{{ key }}') ~ '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$'
            then btrim({{ json_column }} ->> '{{ key }}')::numeric
    end
{%- endmacro %}

{#- Revenue of an event: the first numeric property of var('revenue_properties'), in order. -#}
{% macro revenue_from(json_column) -%}
    coalesce(
        {%- for key in var('revenue_properties') %}
        {{ json_numeric(json_column, key) }},
        {%- endfor %}
        null
    )
{%- endmacro %}

{#- SQL list literal of strings: ('a', 'b'). -#}
{% macro sql_string_list(values) -%}
    ({%- for v in values -%}'{{ v | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{#- SQL of the rate (units_per_usd) of `currency` on `day` from the relation `rates` (columns of the
    currency_rates seed): the latest row dated on or before the day, else the undated row. -#}
{% macro rate_on(rates, currency, day) -%}
    select r.units_per_usd from {{ rates }} as r
    where r.currency = {{ currency }} and (r.rate_date is null or r.rate_date <= {{ day }})
    order by r.rate_date desc nulls last
    limit 1
{%- endmacro %}
