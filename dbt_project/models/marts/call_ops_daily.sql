with

calls as (

    select * from {{ ref('int_calls_rolled_up') }}

),

-- Offered, abandoned and answer speed belong to the queue the call entered (first leg).
inbound_calls as (

    select
        *,
        is_abandoned and wait_seconds < {{ var('short_abandon_seconds') }} as is_short_abandon,
        is_handled and answer_seconds <= {{ var('service_level_seconds') }}
            as is_within_service_level

    from calls
    where direction = 'inbound'
        and {{ in_rebuilt_dates('reporting_date') }}

),

call_counts as (

    select
        reporting_date,
        entry_queue as queue,
        count(*) as calls_offered,
        count(case when is_handled then 1 end) as calls_handled,
        count(case when is_abandoned then 1 end) as calls_abandoned,
        count(case when is_short_abandon then 1 end) as short_abandons,
        count(
            case when not is_handled and last_leg_disposition = 'voicemail' then 1 end
        ) as calls_voicemail,
        count(case when is_within_service_level then 1 end) as calls_within_service_level,
        count(case when is_transferred then 1 end) as calls_transferred,
        avg(case when is_handled then answer_seconds end) as asa_seconds,
        avg(case when is_handled then handle_seconds end) as aht_seconds

    from inbound_calls
    group by
        reporting_date,
        entry_queue

),

final as (

    select
        reporting_date,
        queue,
        cast(calls_offered as bigint) as calls_offered,
        cast(calls_handled as bigint) as calls_handled,
        cast(calls_abandoned as bigint) as calls_abandoned,
        cast(short_abandons as bigint) as short_abandons,
        cast(calls_voicemail as bigint) as calls_voicemail,
        cast(calls_within_service_level as bigint) as calls_within_service_level,
        cast(calls_transferred as bigint) as calls_transferred,
        cast(
            {{ safe_ratio('calls_abandoned - short_abandons', 'calls_offered - short_abandons') }}
            as double
        ) as abandon_rate,
        cast(asa_seconds as double) as asa_seconds,
        cast(
            {{ safe_ratio('calls_within_service_level', 'calls_offered - short_abandons') }}
            as double
        ) as service_level,
        cast(aht_seconds as double) as aht_seconds,
        cast({{ safe_ratio('calls_transferred', 'calls_handled') }} as double) as transfer_rate,
        {{ is_date_loaded('reporting_date') }} as is_date_loaded

    from call_counts

)

select * from final
