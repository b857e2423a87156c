{{ config(meta={'dagster': {'ref': {'name': 'attribution'}}, 'description': "Credits sum to 1 per conversion and model, and revenue credits to the conversion's reporting revenue."}) }}
-- Credits sum to 1 per conversion and model, and revenue credits to the conversion's reporting revenue
-- (within rounding to 6 decimals per touchpoint). Every row of attribution is checked (left join: a row
-- whose conversion is missing still has its credits summed; relationships on conversion_id flags it), so
-- this is also the only test that credits sum to 1 (no generic sums_to_one repeats it).
select
    attribution.project_id,
    attribution.conversion_id,
    attribution.model,
    sum(attribution.credit) as total_credit,
    sum(attribution.revenue_credit) as total_revenue_credit,
    max(conversions.reporting_revenue) as reporting_revenue
from {{ ref('attribution') }} as attribution
left join {{ ref('conversions') }} as conversions
    on conversions.project_id = attribution.project_id
    and conversions.conversion_id = attribution.conversion_id
where true{{ test_scope_and('attribution', 'attribution') }}
group by attribution.project_id, attribution.conversion_id, attribution.model
having abs(sum(attribution.credit) - 1) > 0.000001
    or abs(coalesce(sum(attribution.revenue_credit), 0) - coalesce(max(conversions.reporting_revenue), 0)) > 0.0001
