{#-
  Incremental models on PostgreSQL: an incremental run of a `scoped_delete_insert` model (the marts that
  follow core's change log) asks the catalog once, instead of dbt's default asking it six times.

  dbt's default incremental run reads the columns of the batch and of the table twice each (to widen
  column types, then to check for schema changes) and twice more to write the docs as comments, every
  query through a fresh macro context; on these machines that Python, not the SQL, was most of an
  incremental build's time. Here one query returns both tables' columns and the table's comments:
  - the columns (names, order and types) are the same: the batch is written with the table's columns;
  - they differ: what dbt's default does (widen the types, then fail, ignore or sync per
    `on_schema_change`), and the docs are written again;
  - the comments differ from the model's docs (docs edited since the table was built): persist_docs.
  Grants are applied as by the default. Anything else (first run, --full-refresh, another strategy,
  an enforced contract, a view in the table's place) is dbt's default, unchanged.
-#}
{%- materialization incremental, adapter='postgres' -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set contract = config.get('contract') -%}
  {%- if config.get('incremental_strategy') != 'scoped_delete_insert'
        or existing_relation is none or existing_relation.is_view or should_full_refresh()
        or (contract and contract.enforced) -%}
    {{ return(materialization_incremental_default()) }}
  {%- endif -%}

  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set temp_relation = make_temp_relation(target_relation) -%}
  {%- set grant_config = config.get('grants') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% do run_query(get_create_table_as_sql(True, temp_relation, sql)) %}
  {%- set catalog = lean_incremental_catalog(temp_relation, target_relation) -%}
  {%- set dest_columns = [] -%}
  {%- if catalog.batch_columns == catalog.table_columns -%}
    {%- for name, data_type in catalog.table_columns -%}
      {%- do dest_columns.append(api.Column.create(name, data_type)) -%}
    {%- endfor -%}
  {%- else -%}
    {#- what dbt's default does: widen the table's types, then fail, ignore or sync per on_schema_change -#}
    {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'), default='ignore') -%}
    {% do adapter.expand_target_column_types(from_relation=temp_relation, to_relation=target_relation) %}
    {%- set dest_columns = process_schema_changes(on_schema_change, temp_relation, existing_relation)
                           or adapter.get_columns_in_relation(existing_relation) -%}
  {%- endif -%}
  {%- set build_sql = get_incremental_scoped_delete_insert_sql({
        'target_relation': target_relation, 'temp_relation': temp_relation,
        'unique_key': config.get('unique_key'), 'dest_columns': dest_columns,
        'incremental_predicates': none}) -%}
  {% call statement('main') %}
      {{ build_sql }}
  {% endcall %}

  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke(existing_relation, False)) %}
  {%- if catalog.batch_columns != catalog.table_columns or not lean_incremental_docs_current(catalog) -%}
    {% do persist_docs(target_relation, model) %}
  {%- endif -%}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do adapter.commit() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{%- endmaterialization -%}

{#- The batch's and the table's columns, [name, type] in order, and the table's comments, in one query. -#}
{% macro lean_incremental_catalog(temp_relation, target_relation) -%}
  {%- set query -%}
    select c.oid = '{{ adapter.quote(temp_relation.identifier) }}'::regclass as is_batch, a.attname, format_type(a.atttypid, a.atttypmod),
           col_description(c.oid, a.attnum), obj_description(c.oid, 'pg_class')
    from pg_class as c
    join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.oid in ('{{ adapter.quote(temp_relation.identifier) }}'::regclass, '{{ target_relation.include(database=false) }}'::regclass)
    order by 1, a.attnum
  {%- endset -%}
  {%- set result = {'batch_columns': [], 'table_columns': [], 'column_comments': {}, 'table_comment': none} -%}
  {%- for row in run_query(query) -%}
    {%- if row[0] -%}
      {%- do result.batch_columns.append([row[1], row[2]]) -%}
    {%- else -%}
      {%- do result.table_columns.append([row[1], row[2]]) -%}
      {%- do result.column_comments.update({row[1]: row[3]}) -%}
      {%- do result.update({'table_comment': row[4]}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(result) }}
{%- endmacro %}

{#- True when the table's comments are what persist_docs would write (PostgreSQL keeps '' as no comment). -#}
{% macro lean_incremental_docs_current(catalog) -%}
  {%- if config.persist_relation_docs() and model.description
        and (catalog.table_comment or '') != model.description -%}
    {{ return(false) }}
  {%- endif -%}
  {%- if config.persist_column_docs() -%}
    {%- for name, column in model.columns.items() -%}
      {%- if name in catalog.column_comments and (catalog.column_comments[name] or '') != (column.description or '') -%}
        {{ return(false) }}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {{ return(true) }}
{%- endmacro %}
