{#-
  Data tests of an incremental build check the rows the build changed; a full refresh checks whole tables.

  - The range: on-run-start (`freeze_change_bound`) records in ops.dbt_change_bounds.test_from_seq the
    oldest change-log sequence not yet covered by a passing test run: the least watermark of the
    project's change-log marts and of the data tests (ops.mart_watermarks row `dbt.data_tests`,
    written by on-run-end `record_data_tests_passed` when every data test of the project ran and none
    failed or errored). Rows of the change log in (test_from_seq, bound_seq] are what this invocation
    tests. test_from_seq is null, and every test reads its whole table, in a --full-refresh, before
    the first passing test run, when a change-log mart has no watermark (it recomputes everything) or
    when core was rebuilt in the range (a change-log row of kind `all`).
  - The rows: a model's scope is its `change_scope` (incremental marts) or `change_test_scope` (views
    over core, dbt_project.yml): `people` = the rows of the persons (project_id, blended_user_id, or
    the column `change_test_person_column` names) logged in the range; `days` = the rows of the UTC
    days of those persons' sessions and of the days logged for rewritten sessions. Models without a
    scope (seeds, small tables rebuilt on every run) are tested whole.
  - Generic tests reach it through `get_where_subquery` (overridden below); a uniqueness test checks
    every row that shares a key with a row in scope, so a changed row duplicating an unchanged one
    still fails. The singular tests put `test_scope_and` in their own SQL. No ref() here: a test's
    dependencies are fixed at parse time (the tables are named from the graph and core).
-#}

{#- The list of change-log marts of the project (schema.identifier), from the graph. -#}
{% macro change_log_marts() -%}
    {%- set marts = [] -%}
    {%- if not execute -%}{{ return(marts) }}{%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.config.get('incremental_strategy') == 'scoped_delete_insert' -%}
            {%- do marts.append(node.schema ~ '.' ~ (node.alias or node.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(marts | sort) }}
{%- endmacro %}

{#- SQL expression for ops.dbt_change_bounds.test_from_seq, given the SQL of the bound (see above). -#}
{% macro test_from_seq_sql(bound_sql) -%}
    {%- if flags.FULL_REFRESH -%}null::bigint
    {%- else -%}
    {%- set marts = change_log_marts() -%}
    (
        select case
            when count(*) filter (where w.mart = 'dbt.data_tests') = 1
                and count(*) filter (where w.mart <> 'dbt.data_tests') = {{ marts | length }}
                and not exists (
                    select 1 from core.change_log as log
                    where log.kind = 'all' and log.seq > min(w.consumed_seq) and log.seq <= {{ bound_sql }}
                )
            then min(w.consumed_seq)
        end
        from ops.mart_watermarks as w
        where w.mart in ('dbt.data_tests'{% for m in marts %}, '{{ m }}'{% endfor %})
    )
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: the data tests' watermark moves to this invocation's bound when every data test of the
    project ran and none failed or errored (warnings pass), and nothing it tests was skipped or failed. -#}
{% macro record_data_tests_passed(results) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set expected = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test') | list | length -%}
    {%- set ran = results | selectattr('node.resource_type', 'equalto', 'test') | list -%}
    {%- set bad = results | rejectattr('status', 'in', ['success', 'pass', 'warn']) | list -%}
    {%- if ran | length == expected and expected > 0 and not bad -%}
    insert into ops.mart_watermarks as w (mart, consumed_seq)
    select 'dbt.data_tests', bound_seq from ops.dbt_change_bounds where invocation_id = '{{ invocation_id }}'
    on conflict (mart) do update set consumed_seq = excluded.consumed_seq, updated_at = now()
    {%- else -%}
    select 'data tests not all run and passed: their watermark stays' as note
    {%- endif -%}
{%- endmacro %}

{#- (test_from_seq, bound_seq) of this invocation, or none: test whole tables. -#}
{% macro test_change_range() -%}
    {%- if not execute or flags.FULL_REFRESH -%}{{ return(none) }}{%- endif -%}
    {%- set row = run_query("select test_from_seq, bound_seq from ops.dbt_change_bounds where invocation_id = '"
                            ~ invocation_id ~ "'") -%}
    {%- if row.rows | length == 0 or row.rows[0][0] is none -%}{{ return(none) }}{%- endif -%}
    {{ return([row.rows[0][0], row.rows[0][1]]) }}
{%- endmacro %}

{#- The test scope of a model node: 'people', 'days' or none (whole table). -#}
{% macro test_scope_of(node) -%}
    {%- set scope = node.config.get('change_test_scope') or node.config.get('change_scope') -%}
    {{ return({'people': 'people', 'logged_people': 'people', 'days': 'days'}.get(scope)) }}
{%- endmacro %}

{#- SQL condition selecting the rows of `scope` changed in this invocation's range (columns qualified
    with `alias.` when given), or none when the test reads the whole table. -#}
{% macro test_scope_condition(scope, alias=none, person_column='blended_user_id') -%}
    {%- if scope is none -%}{{ return(none) }}{%- endif -%}
    {%- set range = test_change_range() -%}
    {%- if range is none -%}{{ return(none) }}{%- endif -%}
    {%- set p = (alias ~ '.') if alias else '' -%}
    {%- set persons -%}
        select log.project_id, log.entity_id
        from core.change_log as log
        where log.kind = 'person' and log.seq > {{ range[0] }} and log.seq <= {{ range[1] }}
    {%- endset -%}
    {%- if scope == 'people' -%}
        {{ return('(' ~ p ~ 'project_id, ' ~ p ~ person_column ~ ') in (' ~ persons ~ ')') }}
    {%- elif scope == 'days' -%}
        {%- set days -%}
        select s.project_id, s.session_date from {{ graph.nodes['model.' ~ project_name ~ '.sessions'].relation_name }} as s
        where (s.project_id, s.blended_user_id) in ({{ persons }})
        union
        select log.project_id, log.day from core.change_log as log
        where log.kind = 'session' and log.day is not null and log.seq > {{ range[0] }} and log.seq <= {{ range[1] }}
        {%- endset -%}
        {{ return('(' ~ p ~ 'project_id, ' ~ p ~ 'session_date) in (' ~ days ~ ')') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown test scope " ~ scope) }}
    {%- endif -%}
{%- endmacro %}

{#- `and <condition>` for a singular test's where clause on the model `name` (alias `alias`), or nothing. -#}
{% macro test_scope_and(name, alias) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ name) -%}
    {%- set condition = test_scope_condition(test_scope_of(node), alias) if node else none -%}
    {%- if condition %} and {{ condition }}{% endif -%}
{%- endmacro %}

{#- Generic tests read `relation` through this macro (dbt's own, plus the `where` config): in an
    incremental build, only the rows in the model's test scope. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set found = namespace(node=none) -%}
    {%- if execute -%}
        {%- for n in graph.nodes.values() if n.resource_type == 'model' and n.schema == relation.schema
                                             and (n.alias or n.name) == relation.identifier -%}
            {%- set found.node = n -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set node = found.node -%}
    {%- set scoped = none -%}
    {%- if node -%}
        {%- set scoped = test_scope_condition(test_scope_of(node),
                                              person_column=node.config.get('change_test_person_column', 'blended_user_id')) -%}
    {%- endif -%}
    {%- set meta = model.get('test_metadata') or {} -%}
    {%- if scoped and meta.get('name') == 'unique_combination_of_columns' -%}
        {%- set key = meta.kwargs.combination_of_columns | join(', ') -%}
        {%- set scoped = '(' ~ key ~ ') in (select ' ~ key ~ ' from ' ~ relation ~ ' where ' ~ scoped ~ ')' -%}
    {%- endif -%}
    {%- set conditions = [where, scoped] | select | list -%}
    {%- if conditions -%}
        {% do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') %}
    {%- else -%}
        {% do return(relation) %}
    {%- endif -%}
{%- endmacro %}
