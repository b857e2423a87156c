with

source as (
    select * from {{ source('core', 'user_aliases') }}
),

renamed as (
    select
        project_id,
        user_id,
        canonical_user_id
    from source
)

select * from renamed
