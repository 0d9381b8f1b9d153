{{
    config(
        unique_key=['contact_type', 'contact_id'],
        incremental_strategy='rebuild_keys',
        rebuild_keys_also='int_contacts_delivered',
    )
}}

{#- Which contacts a build judges, and against which repeat candidates, is the load scope's
    business (every contact on a full build; see int_contacts_to_judge): here only the rule. -#}
{%- set window_days = var('fcr_window_days') -%}

with

contacts_to_judge as (

    select * from {{ ref('int_contacts_to_judge') }}

),

repeat_candidates as (

    select * from {{ ref('int_contacts_repeat_candidates') }}

),

-- Rule 1 of FCR: another handled contact of the same customer, in any channel, about the
-- same issue category, starting strictly after this one and no later than start + window.
repeats as (

    select
        contacts_to_judge.contact_type,
        contacts_to_judge.contact_id,
        count(*) as repeat_contacts,
        min(repeat_candidates.started_at) as first_repeat_started_at

    from contacts_to_judge
    inner join repeat_candidates
        on contacts_to_judge.customer_id = repeat_candidates.customer_id
        and contacts_to_judge.issue_category = repeat_candidates.issue_category
        and repeat_candidates.started_at > contacts_to_judge.started_at
        and repeat_candidates.started_at
            <= {{ dbt.dateadd('day', window_days, 'contacts_to_judge.started_at') }}
    group by
        contacts_to_judge.contact_type,
        contacts_to_judge.contact_id

),

judged as (

    select
        contacts_to_judge.contact_id,
        contacts_to_judge.contact_type,
        contacts_to_judge.channel,
        contacts_to_judge.customer_id,
        contacts_to_judge.queue,
        contacts_to_judge.agent_id,
        contacts_to_judge.issue_category,
        contacts_to_judge.started_at,
        contacts_to_judge.reporting_date,
        contacts_to_judge.customer_id is not null as is_fcr_eligible,
        -- Rule 2 (not marked unresolved) and rule 1 (no repeat); unlinked contacts: null.
        case
            when contacts_to_judge.customer_id is not null
                then coalesce(repeats.repeat_contacts, 0) = 0
                    and not contacts_to_judge.is_marked_unresolved
        end as is_first_contact_resolved,
        -- Final once start + window <= as_of (the run's, never the wall clock).
        coalesce(
            {{ dbt.dateadd('day', window_days, 'contacts_to_judge.started_at') }}
                <= {{ as_of_timestamp() }},
            false
        ) as fcr_is_final,
        contacts_to_judge.is_marked_unresolved,
        contacts_to_judge.unresolved_reason,
        -- why an eligible contact missed FCR: a repeat first, else its own reason
        case
            when contacts_to_judge.customer_id is null then null
            when coalesce(repeats.repeat_contacts, 0) > 0 then 'repeat_contact'
            else contacts_to_judge.unresolved_reason
        end as fcr_miss_reason,
        cast(coalesce(repeats.repeat_contacts, 0) as bigint) as repeat_contacts,
        repeats.first_repeat_started_at,
        {{ dbt.dateadd('day', window_days, 'contacts_to_judge.started_at') }}
            as fcr_window_ends_at,
        cast(contacts_to_judge.handle_seconds as double) as handle_seconds

    from contacts_to_judge
    left join repeats
        on contacts_to_judge.contact_type = repeats.contact_type
        and contacts_to_judge.contact_id = repeats.contact_id

)

select * from judged {{ full_build_order('reporting_date') }}
