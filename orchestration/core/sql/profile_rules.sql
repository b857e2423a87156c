-- step profile_rules
-- creates: profile_rules
-- The merge rule of each named trait (identity/profile_rules.yaml, filled by COPY).
create temp table profile_rules (key text primary key, rule text) on commit drop;
