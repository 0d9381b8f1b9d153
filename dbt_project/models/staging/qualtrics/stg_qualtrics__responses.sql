with

source as (

    select * from {{ source('qualtrics', 'qualtrics_responses') }}

),

renamed as (

    select
        ----------  ids
        -- one row of an export holds several questions: a response per answered question
        response_id || '/' || export_tag as response_id,
        response_id as qualtrics_response_id,
        export_tag,
        contact_id,
        {{ customer_key('customer_id') }} as customer_key,

        ---------- text
        lower(trim(survey_type)) as survey_type,
        lower(trim(contact_type)) as contact_type,
        -- BCP-47: EN -> en, PT-BR -> pt-BR; Qualtrics' ZH-S and ZH-T are zh-Hans and zh-Hant
        case upper(trim(user_language))
            when 'ZH-S' then 'zh-Hans'
            when 'ZH-T' then 'zh-Hant'
            else lower(split_part(trim(user_language), '-', 1))
                || case
                    when contains(trim(user_language), '-')
                        then '-' || upper(split_part(trim(user_language), '-', 2))
                    else ''
                end
        end as language,
        answer,
        comment,
        time_zone,

        ---------- numerics
        score,
        scale_min,
        scale_max,
        progress,

        ---------- booleans
        trim(status) in ('1', 'Survey Preview') as is_preview,
        finished as is_finished,

        ---------- timestamps
        start_date as started_at,
        recorded_date as responded_at,

        ---------- lineage
        _load_date as load_date,
        _loaded_at as loaded_at,
        _source_file as source_file,
        _source_line as source_line

    from source

)

select * from renamed
