-- step set_once_now
-- reads: core.events
-- creates: set_once_now
-- params: keys (the traits whose rule is set_once)
--
-- set_once values now, with the event time they come from; compared with the last passing run's snapshot.
-- The check (core/checks.py) lets a value change only when an earlier event arrived late.
CREATE TEMP TABLE set_once_now ON COMMIT DROP AS
SELECT DISTINCT ON (e.project_id, e.user_key, t.key) e.project_id, e.user_key, t.key, t.value, e.event_at AS source_at
FROM core.events e
CROSS JOIN LATERAL jsonb_each(e.traits) t
WHERE e.traits IS NOT NULL AND e.user_key IS NOT NULL AND NOT e.is_bot AND t.value <> 'null'::jsonb
  AND t.key = ANY(%(keys)s)
ORDER BY e.project_id, e.user_key, t.key, e.event_at, e.received_at, e.message_id;

