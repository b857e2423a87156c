-- query batch_summary
-- reads: core.raw_batch
SELECT count(*) AS rows, count(*) FILTER (WHERE quarantine_reason IS NOT NULL) AS quarantined,
       max(received_at) AS max_received_at
FROM core.raw_batch;
