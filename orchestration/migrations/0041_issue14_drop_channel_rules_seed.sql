-- issue 14: channels have one home, core's orchestration/enrichment/traffic_rules.yaml (docs/architecture.md
-- D13); the dbt seed channel_rules is gone, so its table in warehouses built before goes too.
drop table if exists staging.channel_rules;
