{#- A single select, no CTE: PostgreSQL does not flatten a view that has a WITH list into the query that
    reads it, so the incremental marts' filters on changed persons could not use core's indexes through
    it (docs/architecture.md D14). -#}

select
    project_id,
    device_id,
    user_key,
    valid_from,
    valid_to

from {{ source('core', 'identity_map') }}
