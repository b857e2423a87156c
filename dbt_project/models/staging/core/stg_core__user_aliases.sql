{#- A single select, no CTE: PostgreSQL does not flatten a view that has a WITH list into the query that
    reads it, so the incremental marts' filters on changed persons could not use core's indexes through
    it (docs/architecture.md D14). -#}

select
    project_id,
    user_id,
    canonical_user_id

from {{ source('core', 'user_aliases') }}
