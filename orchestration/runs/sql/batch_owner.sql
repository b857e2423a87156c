-- The run that staged core.raw_batch, whether it is a full refresh, and whether that run is alive.
select b.run_id, b.full_refresh, exists(select 1 from ops.core_runs as r where r.run_id = b.run_id)
from ops.core_batch as b;
