with

contacts as (

    select * from {{ ref('fct_contacts') }}

),

surveys as (

    select * from {{ ref('int_surveys_attributed') }}

),

contacts_in_scope as (

    select *
    from contacts
    where {{ in_rebuilt_dates('reporting_date') }}

),

surveys_in_scope as (

    select *
    from surveys
    where {{ in_rebuilt_dates('reporting_date') }}

),

{{ kpi_counts('contacts_in_scope', 'surveys_in_scope', ['reporting_date']) }},

final as (

    select
        reporting_date,
        {{ kpi_rates() }}

    from kpi_counts

)

select * from final
