-- Enrichment reads a URL's campaign parameters in one regex pass (core/sql/enrich_batch.sql) and no
-- longer calls core.url_param; core.url_decode stays (it decodes the values that need it).
drop function core.url_param(text, text);
