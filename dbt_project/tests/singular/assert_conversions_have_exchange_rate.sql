{{ config(severity='warn', meta={'description': "Warning: conversions whose currency has no rate in the currency_rates seed on their day (their reporting_revenue is null; add the rate and run a full refresh). The failure count is how many."}) }}
-- Conversions whose currency has no exchange rate to the project's reporting currency on their day:
-- they count as conversions, their revenue is in no total. One row per such conversion.
select project_id, conversion_id, currency, converted_date, revenue
from {{ ref('conversions') }}
where reporting_revenue is null
