with

source as (

    select * from {{ source('loads', 'load_audit') }}

),

renamed as (

    select
        ----------  ids
        load_id,
        source_file,

        ---------- text
        lower(trim(feed)) as feed,
        lower(trim(status)) as load_status,

        ---------- numerics
        rows_loaded,

        ---------- dates and timestamps
        load_date,
        started_at as load_started_at

    from source

)

select * from renamed
