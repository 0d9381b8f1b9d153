with

contacts as (

    select * from {{ ref('fct_contacts') }}

),

surveys as (

    select * from {{ ref('int_surveys_attributed') }}

),

-- Outcomes belong to the queue that finished the contact (a call's last answered leg).
contacts_in_scope as (

    select
        *,
        channel as kpi_channel,
        queue as kpi_queue

    from contacts
    where {{ in_rebuilt_dates('reporting_date') }}

),

-- Surveys take the channel and queue of the contact they rate; unknown contact: 'unknown'.
surveys_in_scope as (

    select
        *,
        coalesce(channel, 'unknown') as kpi_channel,
        coalesce(queue, 'unknown') as kpi_queue

    from surveys
    where {{ in_rebuilt_dates('reporting_date') }}

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
