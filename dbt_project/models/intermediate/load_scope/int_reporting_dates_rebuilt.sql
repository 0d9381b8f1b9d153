{#- The reporting dates this build must (re)compute. A daily load lists only the dates it
    can change; without a load_date (or on --full-refresh) every date is listed. -#}
{%- set daily = is_daily_load() and not flags.FULL_REFRESH -%}
{%- set window_days = var('fcr_window_days') -%}

with

calls as (

    select * from {{ ref('int_calls_rolled_up') }}

),

tickets as (

    select * from {{ ref('int_tickets_latest') }}

),

surveys as (

    select * from {{ ref('int_surveys_normalised') }}

),

contacts as (

    select * from {{ ref('int_contacts_unified') }}

),

surveys_rebuilt as (

    select * from {{ ref('int_surveys_rebuilt') }}

),

{% if daily %}

calls_touched as (

    select * from calls where load_date = {{ load_date_literal() }}

),

tickets_touched as (

    select * from tickets where load_date = {{ load_date_literal() }}

),

-- Dates of the calls and tickets this load delivered, before and after a re-delivery.
contact_dates_touched as (

    select reporting_date, true as is_regrouped from calls_touched
    union
    select replaced_reporting_date, true from calls_touched
    union
    select created_date, is_regrouped from tickets_touched
    union
    select replaced_created_date, is_regrouped from tickets_touched

),

-- A new or regrouped contact can be (or stop being) the repeat of any contact that started
-- up to fcr_window_days before it: those earlier dates change verdict too (one extra day
-- for time-zone edges). A ticket update that kept customer, category, start and contact
-- status changes only its own row.
fcr_window_dates as (

    select {{ add_days('-offsets.day_offset', 'touched.reporting_date') }} as reporting_date
    from contact_dates_touched as touched
    cross join ({{ day_offsets(window_days + 1) }}) as offsets
    where touched.reporting_date is not null
        and (touched.is_regrouped or offsets.day_offset = 0)

),

-- Tickets solved (or no longer solved) move ticket_ops_daily on their solved date.
solved_dates_touched as (

    select solved_date as reporting_date from tickets_touched
    union
    select replaced_solved_date from tickets_touched

),

-- Survey responses this load delivered or re-attributes (see int_surveys_rebuilt), on
-- their old and new dates.
survey_dates_rebuilt as (

    select reporting_date from surveys_rebuilt

),

-- Dates whose FCR maturity can flip as as_of moves on: contacts whose window ends within
-- fcr_maturity_lookback_days before as_of or later (all dates after as_of included).
maturity_dates as (

    {% if run_value('as_of') -%}
    select distinct contacts.reporting_date
    from contacts
    where contacts.reporting_date >= {{ add_days(
        -(window_days + var('fcr_maturity_lookback_days')),
        to_reporting_date(as_of_timestamp()),
    ) }}
    {%- else -%}
    select cast(null as date) as reporting_date
    {%- endif %}

),

dates_rebuilt as (

    -- the load date itself: its rows now say its feeds were loaded
    select {{ load_date_literal() }} as reporting_date
    union
    select reporting_date from fcr_window_dates
    union
    select reporting_date from solved_dates_touched
    union
    select reporting_date from survey_dates_rebuilt
    union
    select reporting_date from maturity_dates

),

{% else %}

dates_rebuilt as (

    select reporting_date from calls
    union
    select created_date from tickets
    union
    select solved_date from tickets
    union
    select reporting_date from surveys

),

{% endif %}

final as (

    select
        reporting_date,
        {{ week_start('reporting_date') }} as week_start

    from dates_rebuilt
    where reporting_date is not null

)

select * from final
