with

tickets as (

    select * from {{ ref('int_tickets_latest') }}

),

-- Created and first-reply figures count on the day the ticket was created...
created as (

    select
        created_date as reporting_date,
        channel,
        count(*) as tickets_created,
        count(first_response_at) as tickets_replied,
        {{ percentile('first_reply_minutes', 0.5) }} as first_reply_minutes_median,
        {{ percentile('first_reply_minutes', 0.9) }} as first_reply_minutes_p90

    from tickets
    where is_deleted is not true
        and {{ in_rebuilt_dates('created_date') }}
    group by
        created_date,
        channel

),

-- ...solved and resolution-time figures on the day it was solved.
solved as (

    select
        solved_date as reporting_date,
        channel,
        count(*) as tickets_solved,
        {{ percentile('resolution_hours', 0.5) }} as resolution_hours_median,
        {{ percentile('resolution_hours', 0.9) }} as resolution_hours_p90

    from tickets
    where is_solved
        and {{ in_rebuilt_dates('solved_date') }}
    group by
        solved_date,
        channel

),

grain_keys as (

    select reporting_date, channel from created
    union
    select reporting_date, channel from solved

),

final as (

    select
        grain_keys.reporting_date,
        grain_keys.channel,
        cast(coalesce(created.tickets_created, 0) as bigint) as tickets_created,
        cast(coalesce(solved.tickets_solved, 0) as bigint) as tickets_solved,
        cast(coalesce(created.tickets_replied, 0) as bigint) as tickets_replied,
        cast(created.first_reply_minutes_median as double) as first_reply_minutes_median,
        cast(created.first_reply_minutes_p90 as double) as first_reply_minutes_p90,
        cast(solved.resolution_hours_median as double) as resolution_hours_median,
        cast(solved.resolution_hours_p90 as double) as resolution_hours_p90,
        {{ is_date_loaded('grain_keys.reporting_date') }} as is_date_loaded

    from grain_keys
    left join created
        on grain_keys.reporting_date = created.reporting_date
        and grain_keys.channel = created.channel
    left join solved
        on grain_keys.reporting_date = solved.reporting_date
        and grain_keys.channel = solved.channel

)

select * from final
