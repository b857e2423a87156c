-- step stage_batch
-- reads: raw.events, core.events, core.quarantined_events, ops.projects
-- writes: core.raw_batch
-- params: since (received_at lower bound: the watermark minus the safety margin),
--         full_refresh (stage all of raw whatever core holds; core is replaced in the build transaction)
--
-- The new raw events of this run: everything received since the watermark that core holds neither as an
-- event nor in the quarantine. One row per (project, messageId), the earliest received copy. Identifier
-- values the project blocks (ops.projects.blocked_identifiers, compared trimmed and lower-cased; values
-- made only of zeros and dashes, and empty ones, always) are taken as absent and listed in
-- blocked_identifiers; raw keeps what was sent. A row the pipeline cannot take gets a quarantine reason.
truncate core.raw_batch;
insert into core.raw_batch
with received as (
    select distinct on (r.project_id, r.message_id) r.*
    from raw.events as r
    where r.received_at >= %(since)s
      and (%(full_refresh)s or (
          not exists (select 1 from core.events as e where e.project_id = r.project_id and e.message_id = r.message_id)
          and not exists (select 1 from core.quarantined_events as q
                          where q.project_id = r.project_id and q.message_id = r.message_id)))
    order by r.project_id, r.message_id, r.received_at
), screened as (
    select r.*, ids.*
    from received as r
    left join ops.projects as p on p.project_id = r.project_id
    cross join lateral (
        select core.usable_identifier(r.anonymous_id, blocked.ids) as kept_anonymous_id,
               core.usable_identifier(r.user_id, blocked.ids) as kept_user_id,
               core.usable_identifier(r.previous_id, blocked.ids) as kept_previous_id
        from (select coalesce(p.blocked_identifiers, ops.default_blocked_identifiers()) as ids) as blocked
    ) as ids
)
select project_id, message_id, type, event, kept_anonymous_id, kept_user_id, kept_previous_id, event_timestamp,
       sent_at, received_at, ip, user_agent, key_prefix, payload,
       array_remove(array[case when kept_anonymous_id is null then anonymous_id end,
                          case when kept_user_id is null then user_id end,
                          case when kept_previous_id is null then previous_id end], null) as blocked_identifiers,
       case when type not in ('page', 'screen', 'track', 'identify', 'alias', 'group') then 'unknown_type'
            when kept_anonymous_id is null and kept_user_id is null then 'no_usable_identifier'
            when type = 'track' and coalesce(event, '') = '' then 'track_without_event'
            when type = 'alias' and kept_user_id is null then 'alias_without_user_id'
            when type = 'alias' and kept_previous_id is null then 'alias_without_previous_id'
            when received_at > now() + interval '5 minutes' then 'received_in_future'
            when jsonb_typeof(payload) <> 'object' then 'payload_not_an_object'
       end as quarantine_reason
from screened;
analyze core.raw_batch (project_id, message_id, anonymous_id, user_id, ip, user_agent, quarantine_reason);  -- not the payloads
