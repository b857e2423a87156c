select raw.ensure_event_partitions(%(month)s::date, %(months_ahead)s)
