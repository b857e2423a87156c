-- query new_ips
-- reads: core.raw_batch, core.geo_lookup
-- The batch's distinct IPs not looked up before.
select distinct host(b.ip) from core.raw_batch as b
where b.ip is not null and not exists (select 1 from core.geo_lookup as g where g.ip = b.ip);
