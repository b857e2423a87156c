{#- Fails for every group whose `column_name` does not sum to 1 (within `tolerance`). -#}
{% test sums_to_one(model, column_name, group_by, tolerance=0.000001) %}
    select {{ group_by | join(', ') }}, sum({{ column_name }}) as total
    from {{ model }}
    group by {{ group_by | join(', ') }}
    having abs(sum({{ column_name }}) - 1) > {{ tolerance }}
{% endtest %}
