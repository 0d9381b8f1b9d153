{{ config(materialized='view') }}

{#- Every source's call legs in one shape: the canonical calls feed and Amazon Connect's
    contact records. A view: int_calls_rolled_up's filter on load_date reaches each scan. -#}
{%- set columns = [
    'call_id', 'leg_seq', 'customer_id', 'agent_id', 'direction', 'queue', 'disposition',
    'reason_code', 'issue_category', 'wrap_seconds', 'is_resolved_by_agent', 'started_at',
    'answered_at', 'ended_at', 'load_date', 'loaded_at', 'source_file', 'source_line',
] -%}

with

calls as (

    select * from {{ ref('stg_calls__legs') }}

),

amazon_connect as (

    select * from {{ ref('int_call_legs_from_amazon_connect') }}

),

unioned as (
    {{ union_sources(columns, ['calls', 'amazon_connect']) }}
)

select * from unioned
