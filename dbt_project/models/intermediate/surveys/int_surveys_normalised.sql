{{
    config(
        materialized='incremental',
        unique_key='response_id',
        incremental_strategy='delete+insert',
        incremental_predicates=[within_redelivery_lookback()],
    )
}}

{%- set daily = is_incremental() and is_daily_load() -%}

with

responses as (

    select * from {{ ref('int_survey_responses_unioned') }}
    {% if daily -%}
    where load_date = {{ load_date_literal() }}
    {%- endif %}

),

-- A response delivered again later replaces its earlier copy.
responses_ranked as (

    select
        *,
        row_number() over (
            partition by response_id
            order by load_date desc, loaded_at desc
        ) as delivery_rank

    from responses

),

newest_responses as (

    select * from responses_ranked where delivery_rank = 1

),

-- Every scale mapped onto [0, 1]: 0 = the scale's lowest score, 1 = its highest.
scaled as (

    select
        *,
        case
            when scale_max > scale_min
                then cast(score - scale_min as double) / (scale_max - scale_min)
        end as score_fraction,
        (scale_min + scale_max) / 2.0 as scale_midpoint

    from newest_responses

),

normalised as (

    select
        response_id,
        survey_type,
        contact_type,
        contact_id,
        customer_id,
        responded_at,
        {{ to_reporting_date('responded_at') }} as reporting_date,
        score,
        scale_min,
        scale_max,
        language,
        comment,
        score_fraction,

        -- CSAT top-box: (score - min) / (max - min) >= 0.75
        case
            when survey_type = 'csat'
                then score_fraction >= {{ var('csat_top_box_threshold') }}
        end as is_csat_satisfied,

        -- CES: higher = less effort; mapped onto 1-7; agree above, disagree below the midpoint
        case
            when survey_type = 'ces' then 1 + 6 * score_fraction
        end as ces_score_7pt,
        case
            when survey_type = 'ces' then score > scale_midpoint
        end as is_ces_agree,
        case
            when survey_type = 'ces' then score < scale_midpoint
        end as is_ces_disagree,

        -- NPS counts on the 0-10 scale only (ingest rejects others; belt and braces here)
        case
            when survey_type = 'nps' and scale_min = 0 and scale_max = 10
                then score >= {{ var('nps_promoter_min_score') }}
        end as is_nps_promoter,
        case
            when survey_type = 'nps' and scale_min = 0 and scale_max = 10
                then score <= {{ var('nps_detractor_max_score') }}
        end as is_nps_detractor,

        -- FCR survey: 0-1, 1 = the customer says it was resolved
        case
            when survey_type = 'fcr' and scale_min = 0 and scale_max = 1 then score = 1
        end as is_fcr_survey_yes,

        load_date,
        loaded_at

    from scaled

),

{{ newest_delivery_final('normalised', 'response_id') }}

select * from final {{ full_build_order('reporting_date') }}
