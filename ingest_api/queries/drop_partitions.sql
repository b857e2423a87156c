SELECT dropped FROM raw.drop_event_partitions(%(keep_months)s) AS dropped
