{{ config(meta={'dagster': {'ref': {'name': 'attribution'}}, 'description': "The converting session of every conversion that has one is a touchpoint exactly once per model."}) }}
-- The converting session is a touchpoint of its conversion, exactly once per model (sessionless
-- conversions have none).
select attribution.project_id, attribution.conversion_id, attribution.model,
       count(*) filter (where attribution.is_converting_session) as converting_touches
from {{ ref('attribution') }} as attribution
join {{ ref('conversions') }} as conversions
    on conversions.project_id = attribution.project_id and conversions.conversion_id = attribution.conversion_id
where conversions.session_id is not null{{ test_scope_and('attribution', 'attribution') }}
group by attribution.project_id, attribution.conversion_id, attribution.model
having count(*) filter (where attribution.is_converting_session) <> 1
