{{ config(materialized='view') }}

{#- Every source's ticket versions in one shape: the canonical tickets feed and Zendesk's
    incremental export. A view: int_tickets_latest's filter on load_date reaches each scan. -#}

with

tickets as (

    select * from {{ ref('stg_tickets__versions') }}

),

zendesk as (

    select * from {{ ref('int_ticket_versions_from_zendesk') }}

),

unioned as (

    select
        ticket_id,
        updated_at,
        customer_id,
        channel,
        category,
        issue_category,
        queue,
        priority,
        status,
        agent_id,
        created_at,
        first_response_at,
        solved_at,
        reopen_count,
        agent_reply_count,
        source_call_id,
        false as is_deleted,
        load_date,
        loaded_at,
        source_file,
        source_line,
        'tickets' as source

    from tickets

    union all

    select
        ticket_id,
        updated_at,
        customer_id,
        channel,
        category,
        issue_category,
        queue,
        priority,
        status,
        agent_id,
        created_at,
        first_response_at,
        solved_at,
        reopen_count,
        agent_reply_count,
        source_call_id,
        is_deleted,
        load_date,
        loaded_at,
        source_file,
        source_line,
        'zendesk' as source

    from zendesk

)

select * from unioned
