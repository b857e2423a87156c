-- The devices this run recomputes: those in the batch, and those whose user ids changed canonical user
-- (an alias). dev_events gets their whole history; core.run_users the users they had before this run.
CREATE TEMP TABLE affected_devices ON COMMIT DROP AS
SELECT DISTINCT project_id, device_id FROM batch_events
UNION
SELECT DISTINCT e.project_id, e.device_id FROM core.events e
JOIN changed_ids c ON c.project_id = e.project_id AND c.user_id = e.user_id;
ALTER TABLE affected_devices ADD PRIMARY KEY (project_id, device_id);
ANALYZE affected_devices;

CREATE TEMP TABLE dev_events ON COMMIT DROP AS
SELECT b.* FROM batch_events b
UNION ALL
SELECT e.project_id, e.message_id, e.event_type, e.event_name, e.anonymous_id, e.user_id,
       e.previous_id, e.device_id, e.event_at, e.event_date, e.received_at, e.sent_at, e.properties,
       e.traits, e.page_url, e.page_path, e.page_title, e.page_referrer, e.referrer_host,
       e.ip_truncated, e.country_code, e.country, e.region, e.city, e.time_zone, e.latitude,
       e.longitude, e.local_hour, e.local_weekday, e.browser, e.browser_version, e.os,
       e.os_version, e.device_type, e.is_bot, e.utm_source, e.utm_medium, e.utm_campaign,
       e.utm_term, e.utm_content, e.utm_id, e.gclid, e.gbraid, e.wbraid, e.fbclid, e.msclkid,
       e.ttclid, e.li_fat_id, e.referrer_class, e.channel
FROM core.events e JOIN affected_devices a ON a.project_id = e.project_id AND a.device_id = e.device_id;
ANALYZE dev_events;

DROP TABLE IF EXISTS core.run_users;
CREATE UNLOGGED TABLE core.run_users AS
SELECT DISTINCT e.project_id, e.user_key FROM core.events e
JOIN affected_devices a ON a.project_id = e.project_id AND a.device_id = e.device_id
WHERE e.user_key IS NOT NULL;
