-- step identity_edges
-- reads: batch_events
-- writes: core.identity_edges
--
-- Explicit identity signals of this batch: an anonymousId seen with a userId (identify or any event
-- carrying both), and alias previousId -> userId. Never IP or fingerprint.
insert into core.identity_edges as ie (project_id, from_id, to_user_id, kind, first_seen_at, last_seen_at, first_message_id)
select project_id, from_id, to_user_id, kind, min(event_at), max(event_at),
       (array_agg(message_id order by event_at, received_at, message_id))[1]
from (
    select project_id, anonymous_id as from_id, user_id as to_user_id, 'anonymous' as kind, event_at, received_at, message_id
    from batch_events where anonymous_id is not null and user_id is not null and not is_bot
    union all
    select project_id, previous_id, user_id, 'alias', event_at, received_at, message_id
    from batch_events where event_type = 'alias' and previous_id is not null and user_id is not null
      and previous_id <> user_id
) as s
group by project_id, from_id, to_user_id, kind
on conflict (project_id, kind, from_id, to_user_id) do update set
    first_message_id = case when (excluded.first_seen_at, excluded.first_message_id) < (ie.first_seen_at, ie.first_message_id)
                            then excluded.first_message_id else ie.first_message_id end,
    first_seen_at = least(ie.first_seen_at, excluded.first_seen_at),
    last_seen_at = greatest(ie.last_seen_at, excluded.last_seen_at);
