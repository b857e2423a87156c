-- The currency the marts report revenue in (ISO 4217 code; rates in dbt_project/seeds/currency_rates.csv).
ALTER TABLE ops.projects ADD COLUMN reporting_currency text NOT NULL DEFAULT 'USD'
    CHECK (reporting_currency ~ '^[A-Z]{3}$');
