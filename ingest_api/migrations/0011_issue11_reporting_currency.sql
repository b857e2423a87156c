-- The currency the marts report revenue in (ISO 4217 code; rates in dbt_project/seeds/currency_rates.csv).
alter table ops.projects add column reporting_currency text not null default 'USD'
    check (reporting_currency ~ '^[A-Z]{3}$');
