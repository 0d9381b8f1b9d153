{{
    config(
        materialized='incremental',
        unique_key='reporting_date',
        incremental_strategy='rebuild_dates',
        on_schema_change='append_new_columns',
    )
}}

{%- set window_days = var('fcr_window_days') -%}

with

contacts as (

    select * from {{ ref('int_contacts_unified') }}

),

dates_rebuilt as (

    select * from {{ ref('int_reporting_dates_rebuilt') }}

),

{% if is_incremental() %}

-- Only the contacts of the dates this load can change are judged...
contacts_judged as (

    select *
    from contacts
    where reporting_date in (select dates_rebuilt.reporting_date from dates_rebuilt)

),

-- ...against the contacts that can be their repeats: those starting up to
-- fcr_window_days later (one extra day for time-zone edges). A bounded read, not history.
repeat_candidate_dates as (

    select distinct
        {{ add_days('offsets.day_offset', 'dates_rebuilt.reporting_date') }} as reporting_date
    from dates_rebuilt
    cross join ({{ day_offsets(window_days + 1) }}) as offsets

),

repeat_candidates as (

    select *
    from contacts
    where reporting_date in (
        select repeat_candidate_dates.reporting_date from repeat_candidate_dates
    )

),

{% else %}

contacts_judged as (

    select * from contacts

),

repeat_candidates as (

    select * from contacts

),

{% endif %}

-- Rule 1 of FCR: another handled contact of the same customer, in any channel, about the
-- same issue category, starting strictly after this one and no later than start + window.
repeats as (

    select
        contacts_judged.contact_type,
        contacts_judged.contact_id,
        count(*) as repeat_contacts,
        min(repeat_candidates.started_at) as first_repeat_started_at

    from contacts_judged
    inner join repeat_candidates
        on contacts_judged.customer_id = repeat_candidates.customer_id
        and contacts_judged.issue_category = repeat_candidates.issue_category
        and repeat_candidates.started_at > contacts_judged.started_at
        and repeat_candidates.started_at
            <= {{ dbt.dateadd('day', window_days, 'contacts_judged.started_at') }}
    group by
        contacts_judged.contact_type,
        contacts_judged.contact_id

),

judged as (

    select
        contacts_judged.contact_id,
        contacts_judged.contact_type,
        contacts_judged.channel,
        contacts_judged.customer_id,
        contacts_judged.queue,
        contacts_judged.agent_id,
        contacts_judged.issue_category,
        contacts_judged.started_at,
        contacts_judged.reporting_date,
        contacts_judged.handle_seconds,
        contacts_judged.is_marked_unresolved,
        coalesce(repeats.repeat_contacts, 0) as repeat_contacts,
        repeats.first_repeat_started_at,
        contacts_judged.customer_id is not null as is_fcr_eligible,
        -- Rule 2 (not marked unresolved) and rule 1 (no repeat); unlinked contacts: null.
        case
            when contacts_judged.customer_id is not null
                then coalesce(repeats.repeat_contacts, 0) = 0
                    and not contacts_judged.is_marked_unresolved
        end as is_first_contact_resolved,
        {{ dbt.dateadd('day', window_days, 'contacts_judged.started_at') }}
            as fcr_window_ends_at,
        -- Final once start + window <= as_of (the run's, never the wall clock).
        coalesce(
            {{ dbt.dateadd('day', window_days, 'contacts_judged.started_at') }}
                <= {{ as_of_timestamp() }},
            false
        ) as fcr_is_final

    from contacts_judged
    left join repeats
        on contacts_judged.contact_type = repeats.contact_type
        and contacts_judged.contact_id = repeats.contact_id

)

select * from judged
