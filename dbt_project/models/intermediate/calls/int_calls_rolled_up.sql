{{
    config(
        materialized='incremental',
        unique_key='call_id',
        incremental_strategy='delete+insert',
        incremental_predicates=[within_redelivery_lookback()],
    )
}}

{#- A daily load reads only the legs its own load date delivered; a full build reads all. -#}
{%- set daily = is_incremental() and is_daily_load() -%}

with

legs as (

    select * from {{ ref('int_call_legs_unioned') }}
    {% if daily -%}
    where load_date = {{ load_date_literal() }}
    {%- endif %}

),

{% if not daily -%}
-- A call is delivered whole in one date's feed: a later delivery replaces all its legs. (A
-- daily load reads one delivery, its own.)
newest_deliveries as (

    select
        call_id,
        max(load_date) as load_date

    from legs
    group by call_id

),
{%- endif %}

-- One pass over the legs: (call_id, leg_seq) is unique within a load (ingest quarantines a
-- duplicate key), so the first and last legs are the ones with the lowest and highest
-- leg_seq, answered or not; a struct keeps each leg's fields together, nulls included.
call_totals as (

    select
        legs.call_id,
        max(legs.load_date) as load_date,
        max(legs.loaded_at) as loaded_at,
        min(legs.started_at) as started_at,
        max(legs.customer_id) as any_customer_id,
        arg_min(
            struct_pack(legs.direction, legs.customer_id, legs.queue, legs.started_at),
            legs.leg_seq
        ) as first_leg,
        arg_max(struct_pack(legs.ended_at, legs.disposition), legs.leg_seq) as last_leg,
        arg_min(legs.answered_at, legs.leg_seq)
            filter (where legs.answered_at is not null) as first_answered_at,
        arg_max(
            struct_pack(legs.queue, legs.agent_id, legs.issue_category), legs.leg_seq
        ) filter (where legs.answered_at is not null) as last_answered_leg,
        count(*) as legs,
        count(legs.answered_at) as answered_legs,
        count(
            case when legs.answered_at is not null and legs.is_resolved_by_agent = false then 1 end
        ) as unresolved_answered_legs,
        sum(
            case
                when legs.answered_at is not null
                    then {{ seconds_between('legs.answered_at', 'legs.ended_at') }}
                        + legs.wrap_seconds
            end
        ) as handle_seconds

    from legs
    {%- if not daily %}
    inner join newest_deliveries
        on legs.call_id = newest_deliveries.call_id
        and legs.load_date = newest_deliveries.load_date
    {%- endif %}
    group by legs.call_id

),

rolled_up as (

    select
        call_id,
        first_leg.direction,
        coalesce(first_leg.customer_id, any_customer_id) as customer_id,
        first_leg.queue as entry_queue,
        last_answered_leg.queue as handling_queue,
        last_answered_leg.agent_id as handling_agent_id,
        last_answered_leg.issue_category,
        started_at,
        first_leg.started_at as first_leg_started_at,
        first_answered_at,
        last_leg.ended_at as last_leg_ended_at,
        last_leg.disposition as last_leg_disposition,
        legs,
        answered_legs,
        answered_legs > 0 as is_handled,
        answered_legs = 0 and last_leg.disposition = 'abandoned' as is_abandoned,
        answered_legs > 1 as is_transferred,
        unresolved_answered_legs > 0 as is_marked_unresolved,
        {{ seconds_between('first_leg.started_at', 'first_answered_at') }} as answer_seconds,
        {{ seconds_between('first_leg.started_at', 'last_leg.ended_at') }} as wait_seconds,
        handle_seconds,
        {{ to_reporting_date('started_at') }} as reporting_date,
        load_date,
        loaded_at

    from call_totals

),

{{ newest_delivery_final('rolled_up', 'call_id') }}

select * from final {{ full_build_order('reporting_date') }}
