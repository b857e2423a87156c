-- Deduplication on (project_id, message_id): claim the messageIds of a group in raw.event_keys and
-- return those already claimed (by an earlier request): their events are not stored again. The
-- writer then COPYs only the new events into raw.events, in the same transaction, so a retried
-- batch is stored once whatever partition it would land in.
with input as (
    select * from unnest(%(project_ids)b::text[], %(message_ids)b::text[], %(received_at)b::timestamptz[])
        as t(project_id, message_id, received_at)
), claimed as (
    insert into raw.event_keys (project_id, message_id, received_at)
    select project_id, message_id, received_at from input
    on conflict do nothing
    returning project_id, message_id
)
select i.project_id, i.message_id
from input as i
left join claimed as c using (project_id, message_id)
where c.message_id is null
