{#-
  Incremental strategy `scoped_delete_insert`: the marts follow core's change log (macros/change_log.sql).

  The model's incremental SQL returns every current row of its change scope (config `change_scope`:
  `people`, `logged_people` or `days`, see change_scope_sql). The strategy deletes every target row
  of that scope, whatever the batch holds (rows that vanished upstream: a session merged or re-cut, a
  person whose device was re-stitched to someone else), and every row keyed like a batch row
  (`unique_key`: a conversion that moved to another person), then inserts the batch. When the change
  log says core was rebuilt (change_log_reset) the batch is the whole mart and every row is deleted.
  After any sequence of incremental runs the table equals a full refresh.
-#}
{% macro get_incremental_scoped_delete_insert_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set source = arg_dict["temp_relation"] -%}
    {%- set unique_key = arg_dict["unique_key"] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    {%- set scope = config.require("change_scope") -%}
    {%- set scope_columns = {"people": ["project_id", "blended_user_id"],
                             "logged_people": ["project_id", "blended_user_id"],
                             "days": ["project_id", "session_date"]}[scope] -%}

    {%- if change_log_reset() %}
    delete from {{ target }};
    {%- else %}
    delete from {{ target }} as DBT_INTERNAL_DEST
    where ({{ scope_columns | join(", ") }}) in (
        {{ change_scope_sql(scope) | indent(8) }}
    );
    {%- if unique_key %}
    {%- set key_cols = [unique_key] if unique_key is string else unique_key %}
    delete from {{ target }} as DBT_INTERNAL_DEST
    where ({{ key_cols | join(", ") }}) in (select {{ key_cols | join(", ") }} from {{ source }});
    {%- endif %}
    {%- endif %}

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{% endmacro %}
