-- One select, no WITH list, so that a filter on persons reaches core's index (docs/architecture.md D14).

select
    project_id,
    device_id,
    user_key,
    valid_from,
    valid_to

from {{ source('core', 'identity_map') }}
