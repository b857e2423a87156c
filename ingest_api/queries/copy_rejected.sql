COPY raw.rejected_events (project_id, received_at, reason, key_prefix, payload) FROM STDIN
