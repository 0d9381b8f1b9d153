with

source as (

    select * from {{ source('identities', 'customer_identities') }}

),

renamed as (

    select
        ----------  ids
        lower(trim(source)) as source,
        -- keyed as the sources' staging keys their customers: a phone number hashed
        {{ customer_key('source_key') }} as source_key,
        trim(customer_id) as customer_id,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line

    from source

)

select * from renamed
