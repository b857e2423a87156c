{{ config(meta={'dagster': {'ref': {'name': 'attribution'}}, 'description': "Every conversion whose session is in marts.sessions has rows under every attribution model, each touchpoint once."}) }}
-- Every conversion that has a touchpoint (its session is in marts.sessions) has rows under every
-- attribution model, and every touchpoint appears once under each model.
with

models as (
    select model from (values
        ('first_touch'), ('last_touch'), ('last_non_direct'), ('linear'), ('position_based'), ('time_decay')
    ) as m (model)
),

attributable as (
    select conversions.project_id, conversions.conversion_id
    from {{ ref('conversions') }} as conversions
    join {{ ref('sessions') }} as sessions
        on sessions.project_id = conversions.project_id and sessions.session_id = conversions.session_id
    where true{{ test_scope_and('conversions', 'conversions') }}
),

expected as (
    select attributable.project_id, attributable.conversion_id, models.model
    from attributable
    cross join models
),

actual as (
    select project_id, conversion_id, model, count(*) as touchpoints, max(touchpoint_count) as touchpoint_count
    -- (AL05: the alias is named by the test scope's condition, which sqlfluff renders empty)
    from {{ ref('attribution') }} as attribution  -- noqa: AL05
    where true{{ test_scope_and('attribution', 'attribution') }}
    group by project_id, conversion_id, model
)

select expected.*, actual.touchpoints, actual.touchpoint_count
from expected
left join actual
    on actual.project_id = expected.project_id
    and actual.conversion_id = expected.conversion_id
    and actual.model = expected.model
where actual.conversion_id is null
   or actual.touchpoints <> actual.touchpoint_count
