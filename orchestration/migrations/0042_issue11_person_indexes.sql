-- issue 11: the incremental marts read the events and sessions of the persons core's change log names
-- (dbt_project/macros/change_log.sql), never whole tables: a run's work grows with what changed, not
-- with history (docs/architecture.md D14). Before these, every incremental mart scanned core.events.
create index if not exists events_person on core.events (project_id, blended_user_id);
create index if not exists sessions_person on core.sessions (project_id, blended_user_id);
