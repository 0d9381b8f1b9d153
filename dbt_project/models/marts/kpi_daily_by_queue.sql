{{
    config(
        materialized='incremental',
        unique_key='reporting_date',
        incremental_strategy='rebuild_dates',
        on_schema_change='append_new_columns',
    )
}}

with

contacts as (

    select * from {{ ref('fct_contacts') }}

),

surveys as (

    select * from {{ ref('int_surveys_attributed') }}

),

dates_rebuilt as (

    select * from {{ ref('int_reporting_dates_rebuilt') }}

),

-- Outcomes belong to the queue that finished the contact (a call's last answered leg).
contacts_in_scope as (

    select
        *,
        channel as kpi_channel,
        queue as kpi_queue

    from contacts
    {% if is_incremental() -%}
    where reporting_date in (select dates_rebuilt.reporting_date from dates_rebuilt)
    {%- endif %}

),

-- Surveys take the channel and queue of the contact they rate; unknown contact: 'unknown'.
surveys_in_scope as (

    select
        *,
        coalesce(channel, 'unknown') as kpi_channel,
        coalesce(queue, 'unknown') as kpi_queue

    from surveys
    {% if is_incremental() -%}
    where reporting_date in (select dates_rebuilt.reporting_date from dates_rebuilt)
    {%- endif %}

),

{{ kpi_counts('contacts_in_scope', 'surveys_in_scope', ['reporting_date', 'kpi_channel', 'kpi_queue']) }},

final as (

    select
        reporting_date,
        kpi_channel as channel,
        kpi_queue as queue,
        {{ kpi_rates() }}

    from kpi_counts

)

select * from final
