COPY raw.events (project_id, message_id, type, event, anonymous_id, user_id, previous_id,
                 event_timestamp, sent_at, received_at, ip, user_agent, key_prefix, payload)
FROM STDIN
