-- The converting session is a touchpoint of its conversion, exactly once per model.
select project_id, conversion_id, model, count(*) filter (where is_converting_session) as converting_touches
from {{ ref('attribution') }}
group by project_id, conversion_id, model
having count(*) filter (where is_converting_session) <> 1
