{{
    config(
        materialized='incremental',
        unique_key='response_id',
        incremental_strategy='rebuild_keys',
    )
}}

{%- set attribution_days = var('survey_attribution_days') -%}

with

surveys as (

    select * from {{ ref('int_surveys_normalised') }}

),

calls as (

    select * from {{ ref('int_calls_rolled_up') }}

),

tickets as (

    select * from {{ ref('int_tickets_latest') }}

),

-- Surveys count on the reporting date of the response, so a late response never
-- restates a past day.
surveys_in_scope as (

    select *
    from surveys
    -- a daily load re-attributes only the responses int_surveys_rebuilt lists
    where {{ in_rebuilt_dates('reporting_date') }}
        and {{ in_rebuilt_responses() }}

),

-- The rated contact must have started within survey_attribution_days before the response
-- (or up to a day after, for clock skew): each rated call or ticket is read only within the
-- reach of the responses rating it, a bounded read of calls and tickets.
rated_contacts as (

    select
        contact_type,
        contact_id,
        {{ dbt.dateadd('day', -attribution_days, 'min(responded_at)') }} as earliest_start,
        {{ dbt.dateadd('day', 1, 'max(responded_at)') }} as latest_start

    from surveys_in_scope
    where contact_id is not null
    group by contact_type, contact_id

),

calls_in_reach as (

    select
        calls.call_id,
        calls.started_at,
        calls.handling_agent_id as agent_id,
        coalesce(calls.handling_queue, calls.entry_queue) as queue,
        'phone' as channel

    from calls
    inner join rated_contacts
        on rated_contacts.contact_type = 'call'
        and calls.call_id = rated_contacts.contact_id
        and calls.started_at >= rated_contacts.earliest_start
        and calls.started_at <= rated_contacts.latest_start

),

tickets_in_reach as (

    select
        tickets.ticket_id,
        tickets.created_at as started_at,
        tickets.agent_id,
        tickets.queue,
        tickets.channel

    from tickets
    inner join rated_contacts
        on rated_contacts.contact_type = 'ticket'
        and tickets.ticket_id = rated_contacts.contact_id
        and tickets.created_at >= rated_contacts.earliest_start
        and tickets.created_at <= rated_contacts.latest_start

),

attributed as (

    select
        surveys_in_scope.response_id,
        surveys_in_scope.survey_type,
        surveys_in_scope.contact_type,
        surveys_in_scope.contact_id,
        surveys_in_scope.customer_id,
        surveys_in_scope.responded_at,
        surveys_in_scope.reporting_date,
        surveys_in_scope.score,
        surveys_in_scope.scale_min,
        surveys_in_scope.scale_max,
        surveys_in_scope.language,
        surveys_in_scope.comment,
        surveys_in_scope.score_fraction,
        surveys_in_scope.is_csat_satisfied,
        surveys_in_scope.ces_score_7pt,
        surveys_in_scope.is_ces_agree,
        surveys_in_scope.is_ces_disagree,
        surveys_in_scope.is_nps_promoter,
        surveys_in_scope.is_nps_detractor,
        surveys_in_scope.is_fcr_survey_yes,
        coalesce(calls_in_reach.agent_id, tickets_in_reach.agent_id) as agent_id,
        coalesce(calls_in_reach.queue, tickets_in_reach.queue) as queue,
        coalesce(calls_in_reach.channel, tickets_in_reach.channel) as channel,
        calls_in_reach.call_id is not null
            or tickets_in_reach.ticket_id is not null as is_contact_known

    from surveys_in_scope
    left join calls_in_reach
        on surveys_in_scope.contact_type = 'call'
        and surveys_in_scope.contact_id = calls_in_reach.call_id
        and calls_in_reach.started_at
            >= {{ dbt.dateadd('day', -attribution_days, 'surveys_in_scope.responded_at') }}
        and calls_in_reach.started_at
            <= {{ dbt.dateadd('day', 1, 'surveys_in_scope.responded_at') }}
    left join tickets_in_reach
        on surveys_in_scope.contact_type = 'ticket'
        and surveys_in_scope.contact_id = tickets_in_reach.ticket_id
        and tickets_in_reach.started_at
            >= {{ dbt.dateadd('day', -attribution_days, 'surveys_in_scope.responded_at') }}
        and tickets_in_reach.started_at
            <= {{ dbt.dateadd('day', 1, 'surveys_in_scope.responded_at') }}

)

select * from attributed {{ full_build_order('reporting_date') }}
