-- query read_watermark
-- reads: ops.watermarks
-- params: watermark
select value from ops.watermarks where name = %(watermark)s;
