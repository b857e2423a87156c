-- query new_user_agents
-- reads: core.raw_batch, core.device_lookup
-- The batch's distinct user agents not parsed before.
SELECT DISTINCT b.user_agent FROM core.raw_batch b
WHERE b.user_agent IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM core.device_lookup d WHERE d.user_agent = b.user_agent);
