-- query count_run_users
-- reads: core.run_users
SELECT count(*) FROM core.run_users;
