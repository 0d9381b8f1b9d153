{#- The calls and tickets this daily load delivered (kept by int_calls_rolled_up and
    int_tickets_latest), contacts or not: the keys whose judged rows, survey attribution
    and dates can change, and whether each is regrouped (can change other contacts' FCR).
    Empty when the build recomputes everything. -#}
{%- set daily = is_daily_load() and not flags.FULL_REFRESH -%}

with

calls as (

    select * from {{ ref('int_calls_rolled_up') }}

),

tickets as (

    select * from {{ ref('int_tickets_latest') }}

),

delivered as (

    select
        'call' as contact_type,
        call_id as contact_id,
        started_at,
        reporting_date,
        replaced_reporting_date,
        -- a call is always taken as regrouped: re-deliveries are rare corrections
        true as is_regrouped

    from calls
    where {% if daily %}load_date = {{ load_date_literal() }}{% else %}false{% endif %}

    union all

    select
        'ticket' as contact_type,
        ticket_id as contact_id,
        created_at as started_at,
        created_date as reporting_date,
        replaced_created_date as replaced_reporting_date,
        is_regrouped

    from tickets
    where {% if daily %}load_date = {{ load_date_literal() }}{% else %}false{% endif %}

)

select * from delivered
