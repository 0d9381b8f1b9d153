{{ config(materialized='view') }}

{#- Every source's ticket versions in one shape: the canonical tickets feed and Zendesk's
    incremental export. A view: int_tickets_latest's filter on load_date reaches each scan. -#}
{%- set columns = [
    'ticket_id', 'updated_at', 'customer_id', 'channel', 'category', 'issue_category', 'queue',
    'priority', 'status', 'agent_id', 'created_at', 'first_response_at', 'solved_at',
    'reopen_count', 'agent_reply_count', 'source_call_id', 'is_deleted', 'load_date',
    'loaded_at', 'source_file', 'source_line',
] -%}

with

tickets as (

    -- the feed has no deleted tickets
    select *, false as is_deleted from {{ ref('stg_tickets__versions') }}

),

zendesk as (

    select * from {{ ref('int_ticket_versions_from_zendesk') }}

),

unioned as (
    {{ union_sources(columns, ['tickets', 'zendesk']) }}
)

select * from unioned
