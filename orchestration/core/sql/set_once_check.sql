-- step set_once_now
-- reads: core.events
-- creates: set_once_now
-- params: keys (the traits whose rule is set_once)
--
-- set_once values now, with the event time they come from; compared with the last passing run's snapshot.
-- The check (core/checks.py) lets a value change only when an earlier event arrived late.
create temp table set_once_now on commit drop as
select distinct on (e.project_id, e.user_key, t.key) e.project_id, e.user_key, t.key, t.value, e.event_at as source_at
from core.events as e
cross join lateral jsonb_each(e.traits) as t
where e.traits is not null and e.user_key is not null and not e.is_bot and t.value <> 'null'::jsonb
  and t.key = any(%(keys)s)
order by e.project_id, e.user_key, t.key, e.event_at, e.received_at, e.message_id;
