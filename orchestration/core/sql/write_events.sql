-- step write_events
-- reads: batch_events, assigned
-- writes: core.events
-- creates: changed_events
--
-- Write what `assigned` says for the devices this run touched: insert the batch's new events and rewrite
-- only the held events whose session or user changed.
insert into core.events (
    project_id, message_id, event_type, event_name, anonymous_id, user_id, previous_id, device_id,
    event_at, event_date, received_at, sent_at, properties, traits, page_url, page_path, page_title,
    page_referrer, referrer_host, ip_truncated, country_code, country, region, city, time_zone, latitude,
    longitude, local_hour, local_weekday, browser, browser_version, os, os_version, device_type, is_bot,
    utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id, gclid, gbraid, wbraid, fbclid,
    msclkid, ttclid, li_fat_id, referrer_class, channel, session_id, session_event_sequence, user_key,
    blended_user_id, event_time_source, is_server_event, traits_set_once)
select
    b.project_id, b.message_id, b.event_type, b.event_name, b.anonymous_id, b.user_id, b.previous_id, b.device_id,
    b.event_at, b.event_date, b.received_at, b.sent_at, b.properties, b.traits, b.page_url, b.page_path, b.page_title,
    b.page_referrer, b.referrer_host, b.ip_truncated, b.country_code, b.country, b.region, b.city, b.time_zone, b.latitude,
    b.longitude, b.local_hour, b.local_weekday, b.browser, b.browser_version, b.os, b.os_version, b.device_type, b.is_bot,
    b.utm_source, b.utm_medium, b.utm_campaign, b.utm_term, b.utm_content, b.utm_id, b.gclid, b.gbraid, b.wbraid, b.fbclid,
    b.msclkid, b.ttclid, b.li_fat_id, b.referrer_class, b.channel, a.session_id, a.session_event_sequence, a.user_key,
    coalesce(a.user_key, b.device_id), b.event_time_source, b.is_server_event, b.traits_set_once
from batch_events as b
left join assigned as a on a.project_id = b.project_id and a.message_id = b.message_id;  -- bots have no row there

-- held events whose session or user changed (write_sessions.sql rewrites their old and new sessions); the
-- session of an event without anonymous id is attach_server_events.sql's to set, only its user is here
create temp table changed_events on commit drop as
select project_id, message_id, device_id, is_device_event, old_session_id, session_id, session_event_sequence, user_key
from assigned
where not is_new and not is_context
  and case when is_device_event
           then (old_session_id, old_seq, old_user_key) is distinct from (session_id, session_event_sequence, user_key)
           else old_user_key is distinct from user_key end;

update core.events e
set session_id = case when c.is_device_event then c.session_id else e.session_id end,
    session_event_sequence = case when c.is_device_event then c.session_event_sequence else e.session_event_sequence end,
    user_key = c.user_key, blended_user_id = coalesce(c.user_key, c.device_id)
from changed_events as c
where e.project_id = c.project_id and e.message_id = c.message_id;
