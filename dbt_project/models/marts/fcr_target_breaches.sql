{{
    config(
        materialized='incremental',
        unique_key='reporting_date',
        incremental_strategy='rebuild_dates',
        on_schema_change='append_new_columns',
    )
}}

with

queue_days as (

    select * from {{ ref('kpi_daily_by_queue') }}

),

dates_rebuilt as (

    select * from {{ ref('int_reporting_dates_rebuilt') }}

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
        fcr_is_final

    from queue_days
    where fcr_rate < fcr_target
    {% if is_incremental() -%}
        and reporting_date in (select dates_rebuilt.reporting_date from dates_rebuilt)
    {%- endif %}

)

select * from breaches
