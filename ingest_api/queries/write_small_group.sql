-- A small group in one statement (one round trip, committed when it ends): the same deduplication
-- as claim_keys.sql + copy_events.sql. The rows come as one JSON array of row arrays in the field order of
-- ingest_api/rows.py's RawEvent, which is the column order of raw.events: the ROW picks the fields out of
-- a row array by position and its cast to raw.events gives each its column's type.
with input as materialized (
    select row({{raw_event_fields}})::raw.events as e
    from jsonb_array_elements(%(events)s::jsonb) as r
), claimed as (
    insert into raw.event_keys (project_id, message_id, received_at)
    select (e).project_id, (e).message_id, (e).received_at from input
    on conflict do nothing
    returning project_id, message_id
), stored as (
    insert into raw.events ({{raw_event_columns}})
    select (i.e).* from input as i
    join claimed as c on c.project_id = (i.e).project_id and c.message_id = (i.e).message_id
)
insert into raw.rejected_events ({{rejected_event_columns}})
select {{rejected_event_columns}}
from json_populate_recordset(null::raw.rejected_events, %(rejected)s::json)
