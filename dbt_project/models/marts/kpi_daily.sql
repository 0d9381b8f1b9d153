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

contacts_in_scope as (

    select *
    from contacts
    {% if is_incremental() -%}
    where reporting_date in (select dates_rebuilt.reporting_date from dates_rebuilt)
    {%- endif %}

),

surveys_in_scope as (

    select *
    from surveys
    {% if is_incremental() -%}
    where reporting_date in (select dates_rebuilt.reporting_date from dates_rebuilt)
    {%- endif %}

),

{{ kpi_counts('contacts_in_scope', 'surveys_in_scope', ['reporting_date']) }},

final as (

    select
        reporting_date,
        {{ kpi_rates() }}

    from kpi_counts

)

select * from final
