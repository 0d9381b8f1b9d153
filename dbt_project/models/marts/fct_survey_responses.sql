{{
    config(
        materialized='incremental',
        unique_key='reporting_date',
        incremental_strategy='rebuild_dates',
        on_schema_change='append_new_columns',
    )
}}

with

surveys as (

    select * from {{ ref('int_surveys_attributed') }}

),

dates_rebuilt as (

    select * from {{ ref('int_reporting_dates_rebuilt') }}

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
    {% if is_incremental() -%}
    where reporting_date in (select dates_rebuilt.reporting_date from dates_rebuilt)
    {%- endif %}

)

select * from final
