"""orchestration: the Dagster code location (assets, checks, resources, schedules)."""
