{#- The survey responses this daily load can change, with every date their rows lie on:
    the responses it delivered (on their new date and, for a re-delivery that moved them,
    their old one) and the responses rating a call or ticket it delivered (their agent,
    queue and channel come from it). Empty when the build recomputes everything. -#}
{%- set daily = is_daily_load() and not flags.FULL_REFRESH -%}

with

surveys as (

    select * from {{ ref('int_surveys_normalised') }}

),

delivered as (

    select * from {{ ref('int_contacts_delivered') }}

),

{% if daily %}

surveys_delivered as (

    select response_id, reporting_date, replaced_reporting_date
    from surveys
    where load_date = {{ load_date_literal() }}

),

-- Matched on the contact alone (attribution then checks the time window), from two days
-- before the earliest start, new or replaced, of a delivered record: a re-delivery that
-- moves a contact's start can move its surveys into or out of the attribution window.
surveys_rating_delivered as (

    select surveys.response_id, surveys.reporting_date
    from surveys
    inner join delivered
        on surveys.contact_type = delivered.contact_type
        and surveys.contact_id = delivered.contact_id
    where surveys.responded_at >= (
        select {{ dbt.dateadd('day', -2, 'min(least(
            delivered.started_at,
            cast(delivered.replaced_reporting_date as ' ~ dbt.type_timestamp() ~ ' with time zone)
        ))') }}
        from delivered
    )

),

rebuilt as (

    select response_id, reporting_date from surveys_delivered
    union
    select response_id, replaced_reporting_date from surveys_delivered
    where replaced_reporting_date is not null
    union
    select response_id, reporting_date from surveys_rating_delivered

)

{% else %}

rebuilt as (

    select
        cast(null as {{ dbt.type_string() }}) as response_id,
        cast(null as date) as reporting_date
    where false

)

{% endif %}

select * from rebuilt
