-- step profile_rules
-- creates: profile_rules
-- The merge rule of each named trait (identity/profile_rules.yaml, filled by COPY).
CREATE TEMP TABLE profile_rules (key text PRIMARY KEY, rule text) ON COMMIT DROP;
