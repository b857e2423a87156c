-- Credits sum to 1 per conversion and model, and revenue credits to the conversion's revenue.
select
    attribution.project_id,
    attribution.conversion_id,
    attribution.model,
    sum(attribution.credit) as total_credit,
    sum(attribution.revenue_credit) as total_revenue_credit,
    max(conversions.revenue) as revenue
from {{ ref('attribution') }} as attribution
join {{ ref('conversions') }} as conversions
    on conversions.project_id = attribution.project_id
    and conversions.conversion_id = attribution.conversion_id
group by attribution.project_id, attribution.conversion_id, attribution.model
having abs(sum(attribution.credit) - 1) > 0.000001
    or abs(sum(attribution.revenue_credit) - max(conversions.revenue)) > 0.0001
