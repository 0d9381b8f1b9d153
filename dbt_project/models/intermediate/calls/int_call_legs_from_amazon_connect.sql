{{ config(materialized='view') }}

{#- Amazon Connect contact records as the call legs int_calls_rolled_up reads. A record is a
    leg when it is a VOICE contact of a customer's call (a direction) that reached a queue or
    an agent (a contact that ended in the flow was never offered). The legs of one call share
    InitialContactId and are ordered along the chain. When int_calls_rolled_up runs on a daily
    load, only the calls this load delivered a record of are assembled, from every copy of
    their records within redelivery_lookback_days (a leg delivered a day later, after
    midnight, joins its call), each stamped with this load date. -#}
{%- set daily = relation_before_load('int_calls_rolled_up') is not none -%}

with

records as (

    select * from {{ ref('stg_amazon_connect__contact_records') }}
    where channel = 'VOICE'
        and direction is not null
        and (queue is not null or connected_to_agent_timestamp is not null)

),

identities as (

    select * from {{ ref('stg_identities__customer_keys') }}
    where source = 'amazon_connect'

),

{% if daily %}

calls_delivered as (

    select distinct call_id from records where load_date = {{ load_date_literal() }}

),

records_in_scope as (

    select *
    from records
    where call_id in (select calls_delivered.call_id from calls_delivered)
        and {{ within_redelivery_lookback() }}

),

{% else %}

records_in_scope as (

    select * from records

),

{% endif %}

-- Delivered at least once: the newest LastUpdateTimestamp of a ContactId wins, and of two
-- copies of it the later delivery.
newest_records as (

    select *
    from records_in_scope
    qualify row_number() over (
        partition by contact_id
        order by last_update_timestamp desc, load_date desc, loaded_at desc,
            source_file desc, source_line desc
    ) = 1

),

legs as (

    select
        newest_records.*,
        row_number() over (
            partition by call_id
            order by initiation_timestamp, previous_contact_id nulls first, contact_id
        ) as leg_seq,
        {% if daily -%}
        {{ load_date_literal() }} as call_load_date,
        {%- else -%}
        max(load_date) over (partition by call_id) as call_load_date,
        {%- endif %}
        max(loaded_at) over (partition by call_id) as call_loaded_at

    from newest_records

),

-- The deployment's identity map first (the attribute's key, else the caller's number),
-- then the attribute, then the number's keyed hash.
customers as (

    select
        legs.*,
        coalesce(
            by_attribute.customer_id,
            by_number.customer_id,
            legs.customer_attribute_key,
            legs.customer_phone_key
        ) as customer_id

    from legs
    left join identities as by_attribute
        on legs.customer_attribute_key = by_attribute.source_key
    left join identities as by_number
        on legs.customer_phone_key = by_number.source_key

),

final as (

    select
        call_id,
        cast(leg_seq as integer) as leg_seq,
        customer_id,
        agent_id,
        direction,
        coalesce(queue, '(no queue)') as queue,
        case
            when next_contact_id is not null then 'transferred'
            when is_voicemail and connected_to_agent_timestamp is null then 'voicemail'
            when connected_to_agent_timestamp is null and enqueue_timestamp is not null
                then 'abandoned'
            else 'completed'
        end as disposition,
        reason_code,
        issue_category,
        wrap_seconds,
        is_resolved_by_agent,
        -- a leg starts when it entered the queue, or was initiated when never queued
        coalesce(enqueue_timestamp, initiation_timestamp) as started_at,
        connected_to_agent_timestamp as answered_at,
        disconnect_timestamp as ended_at,
        call_load_date as load_date,
        call_loaded_at as loaded_at,
        source_file,
        source_line

    from customers

)

select * from final
