-- query read_watermark
-- reads: ops.watermarks
-- params: watermark
SELECT value FROM ops.watermarks WHERE name = %(watermark)s;
