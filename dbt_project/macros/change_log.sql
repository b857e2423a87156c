{#-
  Incremental scope of the marts: what core changed since each mart was last built, read from the
  change log that every core build appends to (core.change_log, written by
  orchestration/core/sql/change_log.sql), never a time window.

  - on-run-start `freeze_change_bound()` records the newest change-log sequence of this invocation
    (ops.dbt_change_bounds), and where its data tests start (macros/test_scope.sql); every mart of the invocation reads changes up to it, no further than what
    its upstream marts (config `change_log_upstream`) have consumed.
  - A mart consumes the changes after its own watermark (ops.mart_watermarks, written by its
    post-hook `record_change_consumed()`), up to that bound.
  - `change_log_reset()`: the mart has no watermark, or a change-log row of kind `all` is in its range
    (core was rebuilt): the run recomputes the whole mart.
-#}

{% macro freeze_change_bound() -%}
    insert into ops.dbt_change_bounds (invocation_id, bound_seq, test_from_seq)
    select '{{ invocation_id }}', bound.seq, {{ test_from_seq_sql('bound.seq') | indent(4) }}
    from (
        select coalesce(max(seq), (select max(consumed_seq) from ops.mart_watermarks), 0) as seq
        from core.change_log
    ) as bound
    on conflict (invocation_id) do nothing;
    delete from ops.dbt_change_bounds where started_at < now() - interval '7 days'
{%- endmacro %}

{% macro change_mart_name(relation=none) -%}
    {%- set r = relation or this -%}{{ r.schema }}.{{ r.identifier }}
{%- endmacro %}

{#- SQL expression: the newest change-log seq this mart consumes in this invocation. -#}
{% macro change_bound() -%}
    least(
        coalesce(
            (select bound_seq from ops.dbt_change_bounds where invocation_id = '{{ invocation_id }}'),
            (select max(seq) from core.change_log),
            0)
        {%- for upstream in config.get('change_log_upstream', []) %},
        coalesce((select consumed_seq from ops.mart_watermarks where mart = '{{ upstream }}'), 0)
        {%- endfor %}
    )
{%- endmacro %}

{#- SQL expression: the last seq this mart consumed (null: never recorded). -#}
{% macro change_consumed() -%}
    (select consumed_seq from ops.mart_watermarks where mart = '{{ change_mart_name() }}')
{%- endmacro %}

{#- SQL condition on core.change_log (alias `log`): rows in this mart's range. -#}
{% macro change_range(alias='log') -%}
    {{ alias }}.seq > coalesce({{ change_consumed() }}, -1) and {{ alias }}.seq <= {{ change_bound() }}
{%- endmacro %}

{#- True when this incremental run must recompute the whole mart. Only called in incremental runs.
    Asked once per rendering of the model (its SQL asks several times, the strategy once more): the
    answer is kept in the rendering's own copy of `model`. -#}
{% macro change_log_reset() -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- if '_change_log_reset' not in model -%}
        {%- set query -%}
            select {{ change_consumed() }} is null
                or exists (select 1 from {{ source('core', 'change_log') }} as log
                           where log.kind = 'all' and {{ change_range('log') }})
        {%- endset -%}
        {%- do model.update({'_change_log_reset': run_query(query).columns[0].values()[0]}) -%}
    {%- endif -%}
    {{ return(model['_change_log_reset']) }}
{%- endmacro %}

{#- post-hook of every mart that follows the change log. -#}
{% macro record_change_consumed() -%}
    insert into ops.mart_watermarks as w (mart, consumed_seq)
    values ('{{ change_mart_name() }}', {{ change_bound() }})
    on conflict (mart) do update
        set consumed_seq = greatest(w.consumed_seq, excluded.consumed_seq), updated_at = now()
{%- endmacro %}

{#- SQL of the persons (project_id, blended_user_id) core logged in this mart's range. -#}
{% macro logged_people() -%}
    select distinct log.project_id, log.entity_id as blended_user_id
    from {{ source('core', 'change_log') }} as log
    where log.kind = 'person' and {{ change_range('log') }}
{%- endmacro %}

{#- SQL of the persons whose mart rows this run recomputes: those core logged, and every person with a
    conversion that shares an order (dedup key) with theirs (a late copy of an order can move which
    copy counts). Reads int_conversions_deduplicated, already updated by this invocation. -#}
{% macro changed_people() -%}
    with logged as (
        {{ logged_people() }}
    ),
    order_keys as (
        select distinct d.project_id, d.dedup_key
        from {{ ref('int_conversions_deduplicated') }} as d
        join logged as l on l.project_id = d.project_id and l.blended_user_id = d.blended_user_id
        where d.dedup_key is not null
    )
    select project_id, blended_user_id from logged
    union
    select d.project_id, d.blended_user_id
    from {{ ref('int_conversions_deduplicated') }} as d
    join order_keys as k on k.project_id = d.project_id and k.dedup_key = d.dedup_key
{%- endmacro %}

{#- SQL of the (project_id, session_date) days whose summary this run recomputes: the days of the
    changed persons' sessions (marts.sessions, already updated), and the days core logged for the
    sessions it rewrote, before and after (a vanished or moved session leaves its old day). -#}
{% macro changed_days() -%}
    select distinct s.project_id, s.session_date
    from {{ ref('sessions') }} as s
    where (s.project_id, s.blended_user_id) in (
        {{ changed_people() | indent(8) }}
    )
    union
    select log.project_id, log.day
    from {{ source('core', 'change_log') }} as log
    where log.kind = 'session' and log.day is not null and {{ change_range('log') }}
{%- endmacro %}

{#- SQL of the scope config `change_scope` names: `people`, `logged_people` or `days`. -#}
{% macro change_scope_sql(scope) -%}
    {%- if scope == 'people' -%}{{ changed_people() }}
    {%- elif scope == 'logged_people' -%}{{ logged_people() }}
    {%- elif scope == 'days' -%}{{ changed_days() }}
    {%- else -%}{{ exceptions.raise_compiler_error("unknown change_scope " ~ scope) }}
    {%- endif -%}
{%- endmacro %}

{#- True in an incremental run that follows the change log (not a full refresh, not a reset). -#}
{% macro change_log_incremental() -%}
    {{ return(is_incremental() and change_log_reset() == false) }}
{%- endmacro %}

{#- The CTE `changed_people` (followed by a comma) when the run follows the change log, else nothing. -#}
{% macro changed_people_cte() -%}
    {%- if change_log_incremental() %}
changed_people as (
    {{ changed_people() }}
),
    {%- endif %}
{%- endmacro %}

{#- The human (not is_bot) events of stg_core__events, only those of the CTE `changed_people` when the run
    follows the change log: a parenthesised subquery aliased `scoped_events`, for a model that reads it
    more than once (a CTE read twice would be materialised whole, past the persons index of core.events). -#}
{% macro scoped_events() -%}
    (
        select * from {{ ref('stg_core__events') }}
        where not is_bot
        {%- if change_log_incremental() %}
          and (project_id, blended_user_id) in (select project_id, blended_user_id from changed_people)
        {%- endif %}
    ) as scoped_events
{%- endmacro %}
