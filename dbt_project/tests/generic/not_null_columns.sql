{#- Fails with one row per column of `columns` that holds nulls (column_name, null_rows): one scan of
    the model for all its columns, and a failure names each column. In an incremental build `model` is
    the rows in the model's test scope (get_where_subquery, macros/test_scope.sql); a full refresh reads
    the whole table. -#}
{% test not_null_columns(model, columns) %}
    {%- if not columns %}{{ exceptions.raise_compiler_error('not_null_columns needs at least one column') }}{% endif %}
    select nulls.column_name, nulls.null_rows
    from (
        select
            {%- for column in columns %}
            count(*) filter (where {{ column }} is null) as null_rows_{{ loop.index }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ model }}
    ) as counts
    cross join lateral (
        values
            {%- for column in columns %}
            ('{{ column }}', counts.null_rows_{{ loop.index }}){{ ',' if not loop.last }}
            {%- endfor %}
    ) as nulls (column_name, null_rows)
    where nulls.null_rows > 0
{% endtest %}
