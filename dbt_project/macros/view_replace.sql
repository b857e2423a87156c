{#-
  Views on PostgreSQL: `create or replace view` in place when the view exists and keeps its columns
  (same names, same order; new columns only at the end), instead of dbt's default create-rename-drop.
  The default drops the old view with CASCADE on every run, which takes locks and drops the views that
  depend on it until they are rebuilt; every run paid about a second per view for a definition that
  had not changed. Anything else (no view yet, a table in its place, columns renamed or removed, a
  --full-refresh) takes the default path. A column whose type changes fails with PostgreSQL's
  "cannot change data type of view column": run with --full-refresh.
-#}
{%- materialization view, adapter='postgres' -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set in_place = existing_relation is not none and existing_relation.is_view and not should_full_refresh() -%}
  {%- if in_place -%}
    {%- set old_columns = adapter.get_columns_in_relation(existing_relation) | map(attribute='name') | list -%}
    {%- set new_columns = get_column_schema_from_query(sql) | map(attribute='name') | list -%}
    {%- set in_place = new_columns[:old_columns | length] == old_columns -%}
  {%- endif -%}
  {%- if not in_place -%}
    {{ return(materialization_view_default()) }}
  {%- endif -%}

  {%- set grant_config = config.get('grants') -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {% call statement('main') -%}
    create or replace view {{ target_relation }} as (
      {{ sql }}
    );
  {%- endcall %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke(existing_relation, full_refresh_mode=True)) %}
  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{%- endmaterialization -%}
