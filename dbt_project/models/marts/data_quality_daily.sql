-- Data quality per project and UTC day of receipt, one row per (metric, detail): events taken into core,
-- quarantined rows by reason, events rejected at ingest by reason, blocked identifier values, adjusted event
-- times by kind, bots, server events (core.data_quality_daily, written by the core build). A view: the rows
-- are core's, renamed; a table would be a copy rebuilt on every run.
{{ config(materialized='view') }}

select
    project_id,
    day as received_on,
    metric,
    detail,
    count as event_count
from {{ source('core', 'data_quality_daily') }}
