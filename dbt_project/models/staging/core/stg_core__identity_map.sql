with

source as (
    select * from {{ source('core', 'identity_map') }}
),

renamed as (
    select
        project_id,
        device_id,
        user_key,
        valid_from,
        valid_to
    from source
)

select * from renamed
