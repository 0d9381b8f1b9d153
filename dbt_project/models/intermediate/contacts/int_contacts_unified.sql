{{ config(materialized='view') }}

with

calls as (

    select * from {{ ref('int_calls_rolled_up') }}

),

tickets as (

    select * from {{ ref('int_tickets_latest') }}

),

-- A call contact: an inbound call with at least one answered leg, judged on its last
-- answered leg (queue, agent, reason code) and on every answered leg's resolved flag.
call_contacts as (

    select
        calls.call_id as contact_id,
        'call' as contact_type,
        'phone' as channel,
        calls.customer_id,
        calls.handling_queue as queue,
        calls.handling_agent_id as agent_id,
        calls.issue_category,
        calls.started_at,
        calls.reporting_date,
        calls.is_marked_unresolved,
        case when calls.is_marked_unresolved then 'call_marked_unresolved' end
            as unresolved_reason,
        calls.handle_seconds,
        calls.load_date

    from calls
    where calls.direction = 'inbound'
        and calls.is_handled

),

-- A ticket contact: a ticket not opened from a call (those are the call's paper trail).
ticket_contacts as (

    select
        tickets.ticket_id as contact_id,
        'ticket' as contact_type,
        tickets.channel,
        tickets.customer_id,
        tickets.queue,
        tickets.agent_id,
        tickets.issue_category,
        tickets.created_at as started_at,
        tickets.created_date as reporting_date,
        tickets.is_marked_unresolved,
        -- the first of the ticket's own reasons, in the order an ops lead asks them
        case
            when tickets.status not in ('solved', 'closed') then 'ticket_not_solved'
            when tickets.reopen_count > 0 then 'ticket_reopened'
            when tickets.agent_reply_count > 1 then 'ticket_multi_touch'
        end as unresolved_reason,
        cast(null as double) as handle_seconds,
        tickets.load_date

    from tickets
    where tickets.is_contact

),

unified as (

    select * from call_contacts
    union all
    select * from ticket_contacts

)

select * from unified
