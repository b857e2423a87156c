-- step record_quality
-- reads: core.raw_batch, batch_events, raw.rejected_events, ops.watermarks
-- writes: core.quarantined_events, core.data_quality_daily
-- params: watermark
--
-- The batch's rows the pipeline cannot take go to the quarantine with their reason; the data-quality
-- counters of the batch (per project and UTC day of receipt) are added to core.data_quality_daily. Each
-- (project, messageId) is staged in exactly one committed run (it is then in core.events or the quarantine),
-- so adding counts gives what a full refresh counts. The events the ingest API rejected (raw.rejected_events,
-- append-only) are counted per day of receipt anew from the day of the watermark on: earlier days are final.
insert into core.quarantined_events (project_id, message_id, reason, received_at, payload)
select project_id, message_id, quarantine_reason, received_at, payload from core.raw_batch
where quarantine_reason is not null
on conflict (project_id, message_id) do nothing;

insert into core.data_quality_daily as q (project_id, day, metric, detail, count)
with by_time_source as (
    select project_id, (received_at at time zone 'UTC')::date as day, event_time_source, count(*) as events,
           count(*) filter (where is_bot) as bots, count(*) filter (where is_server_event) as server_events
    from batch_events group by 1, 2, 3
), counters as (
    select project_id, day, 'events' as metric, '' as detail, sum(events) as n from by_time_source group by 1, 2
    union all
    select project_id, day, 'event_time', event_time_source, events from by_time_source
    union all
    select project_id, day, 'bots', '', sum(bots) from by_time_source group by 1, 2
    union all
    select project_id, day, 'server_events', '', sum(server_events) from by_time_source group by 1, 2
    union all
    select project_id, (received_at at time zone 'UTC')::date, 'quarantined', quarantine_reason, count(*)
    from core.raw_batch where quarantine_reason is not null group by 1, 2, 4
    union all
    select b.project_id, (b.received_at at time zone 'UTC')::date, 'blocked_identifier', v.value, count(*)
    from (select project_id, received_at, blocked_identifiers from batch_events where blocked_identifiers <> '{}'
          union all
          select project_id, received_at, blocked_identifiers from core.raw_batch
          where quarantine_reason is not null and blocked_identifiers <> '{}') as b
    cross join lateral unnest(b.blocked_identifiers) as v(value)
    group by 1, 2, 4
)
select project_id, day, metric, detail, n from counters where n > 0
on conflict (project_id, day, metric, detail) do update set count = q.count + excluded.count;

delete from core.data_quality_daily q
using (select coalesce((select (value at time zone 'UTC')::date from ops.watermarks where name = %(watermark)s),
                       '-infinity'::date) as first_day) w
where q.metric = 'rejected_at_ingest' and q.day >= w.first_day;
insert into core.data_quality_daily (project_id, day, metric, detail, count)
select r.project_id, (r.received_at at time zone 'UTC')::date, 'rejected_at_ingest', r.reason, count(*)
from raw.rejected_events as r
where r.project_id is not null
  and r.received_at >= coalesce((select date_trunc('day', value at time zone 'UTC') at time zone 'UTC'
                                 from ops.watermarks where name = %(watermark)s), '-infinity')
group by 1, 2, 4;
