select dropped from raw.drop_event_partitions(%(keep_months)s) as dropped
