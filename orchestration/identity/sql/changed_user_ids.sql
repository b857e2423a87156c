-- step changed_user_ids
-- creates: changed_user_ids
-- The (project, user id) pairs whose canonical user this run changed (filled by COPY).
create temp table changed_user_ids (project_id text, user_id text) on commit drop;
