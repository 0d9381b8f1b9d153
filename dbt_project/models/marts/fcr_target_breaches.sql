with

queue_days as (

    select * from {{ ref('kpi_daily_by_queue') }}

),

breaches as (

    select
        reporting_date,
        channel,
        queue,
        fcr_eligible,
        fcr_resolved,
        fcr_rate,
        fcr_target,
        fcr_ci_low,
        fcr_ci_high,
        -- significant: even the top of the 95% interval is under target
        fcr_ci_high < fcr_target as is_significant,
        fcr_is_final,
        is_date_loaded

    from queue_days
    where fcr_rate < fcr_target
        and {{ in_rebuilt_dates('reporting_date') }}

)

select * from breaches
