-- query new_user_agents
-- reads: core.raw_batch, core.device_lookup
-- The batch's distinct user agents not parsed before.
select distinct b.user_agent from core.raw_batch as b
where b.user_agent is not null
  and not exists (select 1 from core.device_lookup as d where d.user_agent = b.user_agent);
