-- query batch_summary
-- reads: core.raw_batch
select count(*) as rows, count(*) filter (where quarantine_reason is not null) as quarantined,
       max(received_at) as max_received_at
from core.raw_batch;
