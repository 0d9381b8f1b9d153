{#- For a daily load, the reporting dates whose FCR the rows it delivered can change, with how
    many of those rows can: a contact starting on date C can be the repeat of contacts of C and
    of the fcr_window_days dates before it, so a date D counts the call legs and ticket
    versions this load delivered whose contact date (a leg's started_at, a version's
    created_at) lies in [D, D + fcr_window_days]. A day published with final FCR may change
    only when it has a row here (the marts gate compares it with its published self). Only
    dates with such rows are listed; none on a build without a load_date. Reads this load's
    raw rows only. -#}
{%- set window_days = var('fcr_window_days') -%}
{%- set this_load = 'load_date = ' ~ load_date_literal() if is_daily_load() else 'false' -%}

with

legs as (

    select * from {{ ref('int_call_legs_unioned') }}
    where {{ this_load }}

),

ticket_versions as (

    select * from {{ ref('int_ticket_versions_unioned') }}
    where {{ this_load }}

),

delivered_rows as (

    select {{ to_reporting_date('started_at') }} as contact_date from legs
    union all
    select {{ to_reporting_date('created_at') }} as contact_date from ticket_versions

),

rows_per_contact_date as (

    select
        contact_date,
        count(*) as delivered_rows

    from delivered_rows
    where contact_date is not null
    group by contact_date

),

-- each contact date counts for itself and the fcr_window_days dates before it
late_data as (

    select
        {{ add_days('-offsets.day_offset', 'rows_per_contact_date.contact_date') }}
            as reporting_date,
        cast(sum(rows_per_contact_date.delivered_rows) as bigint) as late_contact_rows

    from rows_per_contact_date
    cross join ({{ day_offsets(window_days) }}) as offsets
    group by 1

)

select * from late_data
