with

source as (

    select * from {{ source('surveys', 'survey_responses') }}

),

renamed as (

    select
        ----------  ids
        response_id,
        contact_id,
        customer_id,

        ---------- text
        lower(trim(survey_type)) as survey_type,
        lower(trim(contact_type)) as contact_type,
        language,
        comment,

        ---------- numerics
        score,
        scale_min,
        scale_max,

        ---------- timestamps
        responded_at,

        ---------- lineage
        _load_date as load_date,
        _loaded_at as loaded_at,
        _source_file as source_file,
        _source_line as source_line

    from source

)

select * from renamed
