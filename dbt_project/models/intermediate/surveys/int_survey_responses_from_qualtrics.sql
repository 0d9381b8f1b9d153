{{ config(materialized='view') }}

{#- Qualtrics responses as the survey responses int_surveys_normalised reads: one per
    response and answered question, previews left out, partial responses too unless the
    deployment keeps them ([qualtrics] keep_partial); the respondent through the identity
    map, else the export's customer column. Per row, so a daily load's filter on load_date
    reaches the scan. -#}

with

responses as (

    select * from {{ ref('stg_qualtrics__responses') }}
    where not is_preview
        {% if not var('qualtrics_keep_partial') -%}
        and is_finished
        {%- endif %}

),

identities as (

    select * from {{ ref('stg_identities__customer_keys') }}
    where source = 'qualtrics'

),

mapped as (

    select
        responses.response_id,
        responses.survey_type,
        responses.contact_type,
        responses.contact_id,
        coalesce(identities.customer_id, responses.customer_key) as customer_id,
        responses.responded_at,
        responses.score,
        responses.scale_min,
        responses.scale_max,
        responses.language,
        responses.comment,
        responses.load_date,
        responses.loaded_at,
        responses.source_file,
        responses.source_line

    from responses
    left join identities
        on responses.customer_key = identities.source_key

)

select * from mapped
