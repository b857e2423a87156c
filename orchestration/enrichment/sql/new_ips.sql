-- query new_ips
-- reads: core.raw_batch, core.geo_lookup
-- The batch's distinct IPs not looked up before.
SELECT DISTINCT host(b.ip) FROM core.raw_batch b
WHERE b.ip IS NOT NULL AND NOT EXISTS (SELECT 1 FROM core.geo_lookup g WHERE g.ip = b.ip);
