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
INSERT INTO core.quarantined_events (project_id, message_id, reason, received_at, payload)
SELECT project_id, message_id, quarantine_reason, received_at, payload FROM core.raw_batch
WHERE quarantine_reason IS NOT NULL
ON CONFLICT (project_id, message_id) DO NOTHING;

INSERT INTO core.data_quality_daily AS q (project_id, day, metric, detail, count)
WITH by_time_source AS (
    SELECT project_id, (received_at AT TIME ZONE 'UTC')::date AS day, event_time_source, count(*) AS events,
           count(*) FILTER (WHERE is_bot) AS bots, count(*) FILTER (WHERE is_server_event) AS server_events
    FROM batch_events GROUP BY 1, 2, 3
), counters AS (
    SELECT project_id, day, 'events' AS metric, '' AS detail, sum(events) AS n FROM by_time_source GROUP BY 1, 2
    UNION ALL
    SELECT project_id, day, 'event_time', event_time_source, events FROM by_time_source
    UNION ALL
    SELECT project_id, day, 'bots', '', sum(bots) FROM by_time_source GROUP BY 1, 2
    UNION ALL
    SELECT project_id, day, 'server_events', '', sum(server_events) FROM by_time_source GROUP BY 1, 2
    UNION ALL
    SELECT project_id, (received_at AT TIME ZONE 'UTC')::date, 'quarantined', quarantine_reason, count(*)
    FROM core.raw_batch WHERE quarantine_reason IS NOT NULL GROUP BY 1, 2, 4
    UNION ALL
    SELECT b.project_id, (b.received_at AT TIME ZONE 'UTC')::date, 'blocked_identifier', v.value, count(*)
    FROM (SELECT project_id, received_at, blocked_identifiers FROM batch_events WHERE blocked_identifiers <> '{}'
          UNION ALL
          SELECT project_id, received_at, blocked_identifiers FROM core.raw_batch
          WHERE quarantine_reason IS NOT NULL AND blocked_identifiers <> '{}') b
    CROSS JOIN LATERAL unnest(b.blocked_identifiers) AS v(value)
    GROUP BY 1, 2, 4
)
SELECT project_id, day, metric, detail, n FROM counters WHERE n > 0
ON CONFLICT (project_id, day, metric, detail) DO UPDATE SET count = q.count + excluded.count;

DELETE FROM core.data_quality_daily q
USING (SELECT coalesce((SELECT (value AT TIME ZONE 'UTC')::date FROM ops.watermarks WHERE name = %(watermark)s),
                       '-infinity'::date) AS first_day) w
WHERE q.metric = 'rejected_at_ingest' AND q.day >= w.first_day;
INSERT INTO core.data_quality_daily (project_id, day, metric, detail, count)
SELECT r.project_id, (r.received_at AT TIME ZONE 'UTC')::date, 'rejected_at_ingest', r.reason, count(*)
FROM raw.rejected_events r
WHERE r.project_id IS NOT NULL
  AND r.received_at >= coalesce((SELECT date_trunc('day', value AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                                 FROM ops.watermarks WHERE name = %(watermark)s), '-infinity')
GROUP BY 1, 2, 4;
