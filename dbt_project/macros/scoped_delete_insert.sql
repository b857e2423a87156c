{#-
  Incremental strategy `scoped_delete_insert`: delete+insert where the delete covers a scope, not
  only the keys of the new batch.

  The model's incremental SQL returns every current row of the people touched since the last run
  (see `touched_people`). The strategy then deletes, in one statement, every target row that
    - has a `unique_key` present in the batch (e.g. a session re-stitched to another person), or
    - belongs to a scope present in the batch (config `delete_scopes`: lists of columns, e.g.
      [["project_id", "blended_user_id"]]: every old row of a touched person), or
    - lies in its project's lookback window on config `window_column` (rows that no longer exist
      upstream, e.g. a session re-cut by a late event, are removed this way),
  and inserts the batch. Rows that vanished upstream are thus removed too: after any sequence of
  incremental runs the table equals a full refresh.
-#}
{% macro get_incremental_scoped_delete_insert_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set source = arg_dict["temp_relation"] -%}
    {%- set unique_key = arg_dict["unique_key"] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    {%- set scopes = [] -%}
    {%- if unique_key -%}
        {%- do scopes.append([unique_key] if unique_key is string else unique_key) -%}
    {%- endif -%}
    {%- for scope in config.get("delete_scopes", []) -%}
        {%- do scopes.append([scope] if scope is string else scope) -%}
    {%- endfor -%}
    {%- set window_column = config.get("window_column") -%}

    {%- if window_column %}
    delete from {{ target }} as DBT_INTERNAL_DEST
    using (
        select project_id,
               max({{ window_column }}) - interval '{{ var("incremental_lookback_days") }} days' as window_start
        from {{ target }}
        group by project_id
    ) as w
    where w.project_id = DBT_INTERNAL_DEST.project_id
      and DBT_INTERNAL_DEST.{{ window_column }} >= w.window_start;
    {%- endif %}

    delete from {{ target }} as DBT_INTERNAL_DEST
    where false
    {%- for cols in scopes %}
        or ({{ cols | join(", ") }}) in (
            select distinct {{ cols | join(", ") }} from {{ source }}
        )
    {%- endfor %};

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{% endmacro %}
