"""quality: Great Expectations suites run inside PostgreSQL, as Dagster asset checks."""
