with

surveys as (

    select * from {{ ref('int_surveys_attributed') }}

),

ces_responses as (

    select *
    from surveys
    where survey_type = 'ces'
        and {{ in_rebuilt_dates('reporting_date') }}

),

-- One row per scale: a row never averages two scales together.
per_scale as (

    select
        reporting_date,
        scale_min,
        scale_max,
        count(*) as ces_responses,
        avg(score) as ces_mean,
        avg(ces_score_7pt) as ces_mean_7pt,
        count(case when is_ces_agree then 1 end) as ces_agree,
        count(case when is_ces_disagree then 1 end) as ces_disagree

    from ces_responses
    group by
        reporting_date,
        scale_min,
        scale_max

),

final as (

    select
        reporting_date,
        cast(scale_max as integer) as scale_max,
        cast(scale_min as integer) as scale_min,
        cast(ces_responses as bigint) as ces_responses,
        cast(ces_mean as double) as ces_mean,
        cast(ces_mean_7pt as double) as ces_mean_7pt,
        cast(ces_agree as bigint) as ces_agree,
        cast(ces_disagree as bigint) as ces_disagree,
        cast({{ net_score('ces_agree', 'ces_disagree', 'ces_responses') }} as double) as ces_net,
        {{ is_date_loaded('reporting_date') }} as is_date_loaded

    from per_scale

)

select * from final
