-- One select, no WITH list, so that a filter on persons reaches core's index (docs/architecture.md D14).

select
    project_id,
    user_id,
    canonical_user_id

from {{ source('core', 'user_aliases') }}
