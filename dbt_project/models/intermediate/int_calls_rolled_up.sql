{{
    config(
        materialized='incremental',
        unique_key='call_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{#- A daily load reads only the legs its own load date delivered; a full build reads all. -#}
{%- set daily = is_incremental() and is_daily_load() -%}

with

legs as (

    select * from {{ ref('stg_calls__legs') }}
    {% if daily -%}
    where load_date = {{ load_date_literal() }}
    {%- endif %}

),

-- A call is delivered whole in one date's feed: a later delivery replaces all its legs.
newest_deliveries as (

    select
        call_id,
        max(load_date) as load_date

    from legs
    group by call_id

),

-- Within a delivery, a leg written twice (the same folder reloaded) keeps its last write.
legs_ranked as (

    select
        legs.*,
        row_number() over (
            partition by legs.call_id, legs.leg_seq
            order by legs.loaded_at desc
        ) as write_rank

    from legs
    inner join newest_deliveries
        on legs.call_id = newest_deliveries.call_id
        and legs.load_date = newest_deliveries.load_date

),

legs_delivered as (

    select
        *,
        row_number() over (partition by call_id order by leg_seq) as rank_from_first,
        row_number() over (partition by call_id order by leg_seq desc) as rank_from_last,
        {{ seconds_between('answered_at', 'ended_at') }} + wrap_seconds as leg_handle_seconds

    from legs_ranked
    where write_rank = 1

),

answered_legs as (

    select
        *,
        row_number() over (partition by call_id order by leg_seq) as answered_rank_from_first,
        row_number() over (partition by call_id order by leg_seq desc) as answered_rank_from_last

    from legs_delivered
    where answered_at is not null

),

first_legs as (

    select * from legs_delivered where rank_from_first = 1

),

last_legs as (

    select * from legs_delivered where rank_from_last = 1

),

first_answered_legs as (

    select * from answered_legs where answered_rank_from_first = 1

),

last_answered_legs as (

    select * from answered_legs where answered_rank_from_last = 1

),

call_totals as (

    select
        call_id,
        max(load_date) as load_date,
        max(loaded_at) as loaded_at,
        min(started_at) as started_at,
        max(customer_id) as any_customer_id,
        count(*) as legs,
        count(answered_at) as answered_legs,
        count(
            case when answered_at is not null and is_resolved_by_agent = false then 1 end
        ) as unresolved_answered_legs,
        sum(case when answered_at is not null then leg_handle_seconds end) as handle_seconds

    from legs_delivered
    group by call_id

),

rolled_up as (

    select
        call_totals.call_id,
        first_legs.direction,
        coalesce(first_legs.customer_id, call_totals.any_customer_id) as customer_id,
        first_legs.queue as entry_queue,
        last_answered_legs.queue as handling_queue,
        last_answered_legs.agent_id as handling_agent_id,
        last_answered_legs.issue_category,
        call_totals.started_at,
        first_legs.started_at as first_leg_started_at,
        first_answered_legs.answered_at as first_answered_at,
        last_legs.ended_at as last_leg_ended_at,
        last_legs.disposition as last_leg_disposition,
        call_totals.legs,
        call_totals.answered_legs,
        call_totals.answered_legs > 0 as is_handled,
        call_totals.answered_legs = 0
            and last_legs.disposition = 'abandoned' as is_abandoned,
        call_totals.answered_legs > 1 as is_transferred,
        call_totals.unresolved_answered_legs > 0 as is_marked_unresolved,
        {{ seconds_between('first_legs.started_at', 'first_answered_legs.answered_at') }}
            as answer_seconds,
        {{ seconds_between('first_legs.started_at', 'last_legs.ended_at') }} as wait_seconds,
        call_totals.handle_seconds,
        {{ to_reporting_date('call_totals.started_at') }} as reporting_date,
        call_totals.load_date,
        call_totals.loaded_at

    from call_totals
    inner join first_legs
        on call_totals.call_id = first_legs.call_id
    inner join last_legs
        on call_totals.call_id = last_legs.call_id
    left join first_answered_legs
        on call_totals.call_id = first_answered_legs.call_id
    left join last_answered_legs
        on call_totals.call_id = last_answered_legs.call_id

),

{{ newest_delivery_final('rolled_up', 'call_id') }}

select * from final
