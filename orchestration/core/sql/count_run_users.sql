-- query count_run_users
-- reads: core.run_users
select count(*) from core.run_users;
