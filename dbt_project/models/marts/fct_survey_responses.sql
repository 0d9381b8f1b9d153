{{
    config(
        materialized='incremental',
        unique_key='response_id',
        incremental_strategy='rebuild_keys',
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

surveys_rebuilt as (

    select * from {{ ref('int_surveys_rebuilt') }}

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
        {%- if is_daily_load() %}
        -- the responses int_surveys_attributed re-attributed in this build
        and response_id in (select surveys_rebuilt.response_id from surveys_rebuilt)
        {%- endif %}
    {%- endif %}

)

select * from final {{ full_build_order('reporting_date') }}
