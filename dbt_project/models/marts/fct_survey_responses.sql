{{ config(unique_key='response_id', incremental_strategy='rebuild_keys') }}

with

surveys as (

    select * from {{ ref('int_surveys_attributed') }}

),

final as (

    select
        response_id,
        survey_type,
        score,
        scale_min,
        scale_max,
        language,
        comment,
        contact_type,
        contact_id,
        customer_id,
        agent_id,
        queue,
        channel,
        responded_at,
        reporting_date,
        cast(score_fraction as double) as score_fraction,
        is_csat_satisfied,
        cast(ces_score_7pt as double) as ces_score_7pt,
        is_nps_promoter,
        is_nps_detractor,
        is_fcr_survey_yes

    from surveys
    -- the responses int_surveys_attributed (re-)attributed in this build
    where {{ in_rebuilt_dates('reporting_date') }}
        and {{ in_rebuilt_responses() }}

)

select * from final {{ full_build_order('reporting_date') }}
