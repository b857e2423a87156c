{#-
  Views on PostgreSQL: `create or replace view` in place when the view exists and keeps its columns
  (same names, same order; new columns only at the end), instead of dbt's default create-rename-drop.
  The default drops the old view with CASCADE on every run, which takes locks and drops the views that
  depend on it until they are rebuilt; every run paid about a second per view for a definition that
  had not changed. Anything else (no view yet, a table in its place, columns renamed or removed, a
  --full-refresh) takes the default path. A column whose type changes fails with PostgreSQL's
  "cannot change data type of view column": run with --full-refresh.

  A view whose definition has not changed since dbt last created it is left alone: its checksum (the
  compiled SQL, docs and grants) and PostgreSQL's text of the view both match what
  ops.dbt_view_checksums recorded (migration 0021). An incremental build then spends nothing on views.
-#}
{%- materialization view, adapter='postgres' -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set in_place = existing_relation is not none and existing_relation.is_view and not should_full_refresh() -%}
  {%- set checksum = local_md5(sql ~ '|' ~ (model.description or '') ~ '|' ~ (model.columns | tojson)
                               ~ '|' ~ (config.get('grants') | tojson) ~ '|' ~ (config.get('persist_docs') | tojson)) -%}
  {%- if in_place and view_unchanged(target_relation, checksum) -%}
    {% call statement('main') -%}
      select 'view unchanged' as status
    {%- endcall %}
    {{ return({'relations': [target_relation]}) }}
  {%- endif -%}
  {%- if in_place -%}
    {%- set old_columns = adapter.get_columns_in_relation(existing_relation) | map(attribute='name') | list -%}
    {%- set new_columns = get_column_schema_from_query(sql) | map(attribute='name') | list -%}
    {%- set in_place = new_columns[:old_columns | length] == old_columns -%}
  {%- endif -%}
  {%- if not in_place -%}
    {%- set result = materialization_view_default() -%}
    {% do record_view_checksum(target_relation, checksum, commit=true) %}
    {{ return(result) }}
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
  {% do record_view_checksum(target_relation, checksum) %}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{%- endmaterialization -%}


{#- True when ops.dbt_view_checksums holds `checksum` for the view and PostgreSQL's text of the view is
    still the one recorded with it (nobody replaced the view since). -#}
{% macro view_unchanged(relation, checksum) -%}
    {%- set query -%}
        select count(*) from ops.dbt_view_checksums
        where relation = '{{ relation.schema }}.{{ relation.identifier }}' and checksum = '{{ checksum }}'
            and viewdef_md5 = md5(pg_get_viewdef(to_regclass('{{ relation }}')))
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] == 1) }}
{%- endmacro %}

{#- Record the view's checksum and text (in the materialization's transaction, or its own with commit). -#}
{% macro record_view_checksum(relation, checksum, commit=false) -%}
    {% call statement('record_view_checksum') -%}
        insert into ops.dbt_view_checksums as v (relation, checksum, viewdef_md5)
        values ('{{ relation.schema }}.{{ relation.identifier }}', '{{ checksum }}',
                md5(pg_get_viewdef(to_regclass('{{ relation }}'))))
        on conflict (relation) do update
            set checksum = excluded.checksum, viewdef_md5 = excluded.viewdef_md5, updated_at = now()
    {%- endcall %}
    {%- if commit %}{% do adapter.commit() %}{% endif %}
{%- endmacro %}
