{#-
  Seeds on PostgreSQL: a seed whose file and config have not changed since dbt last loaded it is left
  alone, instead of dbt's default truncate and insert of every row on every build (0.6 s per build for
  currency_rates). Its checksum (the rows dbt reads from the CSV, the column names, the seed's config
  and docs) and the md5 of the table's rows both match what ops.dbt_seed_checksums recorded when dbt
  last loaded it (migration 0043), and it is not a --full-refresh. Anything else takes dbt's default
  path: no table yet, an edited CSV or config, a table changed behind dbt's back (reloaded from the
  CSV, as before), a --full-refresh. Like views (macros/view_replace.sql), but a table has no text to
  compare, so its rows are.
-#}
{%- materialization seed, adapter='postgres' -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set agate_table = load_agate_table() -%}
  {%- set checksum = local_md5((agate_table.column_names | join(',')) ~ '|' ~ (agate_table.rows | map('list') | list | string)
                               ~ '|' ~ (model.config | tojson) ~ '|' ~ (model.description or '') ~ '|' ~ (model.columns | tojson)) -%}
  {%- if existing_relation is not none and existing_relation.is_table and not should_full_refresh()
        and seed_unchanged(target_relation, checksum) -%}
    {%- do store_result('agate_table', response='OK', agate_table=agate_table) -%}
    {% call noop_statement('main', 'UNCHANGED', 'UNCHANGED', 0) -%}
      -- seed unchanged: left alone
    {%- endcall %}
    {{ return({'relations': [target_relation]}) }}
  {%- endif -%}
  {%- set result = materialization_seed_default() -%}
  {% do record_seed_checksum(target_relation, checksum) %}
  {{ return(result) }}
{%- endmaterialization -%}


{#- SQL expression: md5 of the rows of `relation` (in a fixed order). -#}
{% macro seed_content_md5(relation) -%}
    (select md5(coalesce(string_agg(t::text, e'\n' order by t::text), '')) from {{ relation }} as t)
{%- endmacro %}


{#- True when ops.dbt_seed_checksums holds `checksum` for the seed and its table still holds the rows
    recorded with it (nobody changed the table since). -#}
{% macro seed_unchanged(relation, checksum) -%}
    {%- set query -%}
        select count(*) from ops.dbt_seed_checksums
        where relation = '{{ relation.schema }}.{{ relation.identifier }}' and checksum = '{{ checksum }}'
            and content_md5 = {{ seed_content_md5(relation) }}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] == 1) }}
{%- endmacro %}


{#- Record the seed's checksum and the md5 of the rows dbt just loaded (after dbt's commit, in a
    transaction of its own: a load that failed records nothing and the next build loads again). -#}
{% macro record_seed_checksum(relation, checksum) -%}
    {% call statement('record_seed_checksum') -%}
        insert into ops.dbt_seed_checksums as s (relation, checksum, content_md5)
        values ('{{ relation.schema }}.{{ relation.identifier }}', '{{ checksum }}', {{ seed_content_md5(relation) }})
        on conflict (relation) do update
            set checksum = excluded.checksum, content_md5 = excluded.content_md5, updated_at = now()
    {%- endcall %}
    {% do adapter.commit() %}
{%- endmacro %}
