{{
    config(
        materialized='incremental',
        unique_key=['contact_type', 'contact_id'],
        incremental_strategy='rebuild_keys',
        rebuild_keys_also='int_contacts_delivered',
        on_schema_change='append_new_columns',
    )
}}

{%- set window_days = var('fcr_window_days') -%}
{%- set daily = is_incremental() and is_daily_load() -%}
{#- the rows before this load that are still current: every contact but those delivered -#}
{%- set still_current -%}
    not exists (
        select 1
        from delivered
        where delivered.contact_type = judged_current.contact_type
            and delivered.contact_id = judged_current.contact_id
    )
{%- endset -%}
{%- set contact_columns = [
    'contact_id', 'contact_type', 'channel', 'customer_id', 'queue', 'agent_id',
    'issue_category', 'started_at', 'reporting_date', 'handle_seconds', 'is_marked_unresolved',
] -%}

with

contacts as (

    select * from {{ ref('int_contacts_unified') }}
    {%- if daily %}
    -- a daily load reads only the contacts it delivered: a filter here reaches the scan
    where load_date = {{ load_date_literal() }}
    {%- endif %}

),

dates_rebuilt as (

    select * from {{ ref('int_reporting_dates_rebuilt') }}

),

delivered as (

    select * from {{ ref('int_contacts_delivered') }}

),

{% if daily %}

-- A daily load re-judges only the contacts whose row can change (see incremental_design):
-- 1. the contacts it delivered;
delivered_contacts as (

    select * from contacts

),

-- 2. the contacts a new or regrouped delivered contact can be the repeat of, in its new
--    version or in the one it replaced (a re-delivery may change customer, category or
--    start): same customer and category, starting up to fcr_window_days before it. A
--    contact that kept all of these is the repeat of the same contacts as before;
regrouped as (

    select contact_type, contact_id from delivered where is_regrouped

),

replaced_versions as (

    select
        judged_before.customer_id,
        judged_before.issue_category,
        judged_before.started_at,
        judged_before.reporting_date

    from {{ this }} as judged_before
    inner join regrouped
        on judged_before.contact_type = regrouped.contact_type
        and judged_before.contact_id = regrouped.contact_id
    where judged_before.reporting_date in (
        select dates_rebuilt.reporting_date from dates_rebuilt
    )

),

delivered_versions as (

    select
        delivered_contacts.customer_id,
        delivered_contacts.issue_category,
        delivered_contacts.started_at,
        delivered_contacts.reporting_date

    from delivered_contacts
    inner join regrouped
        on delivered_contacts.contact_type = regrouped.contact_type
        and delivered_contacts.contact_id = regrouped.contact_id
    where delivered_contacts.customer_id is not null
    union all
    select customer_id, issue_category, started_at, reporting_date
    from replaced_versions
    where customer_id is not null

),

earlier_contact_dates as (

    select distinct
        {{ add_days('-offsets.day_offset', 'delivered_versions.reporting_date') }}
            as reporting_date
    from delivered_versions
    cross join ({{ day_offsets(window_days + 1) }}) as offsets

),

repeated_contacts as (

    select distinct
        earlier.contact_type,
        earlier.contact_id

    -- the table before this load: its stale versions of delivered contacts are re-judged
    -- (or dropped) anyway
    from {{ this }} as earlier
    inner join delivered_versions
        on earlier.customer_id = delivered_versions.customer_id
        and earlier.issue_category = delivered_versions.issue_category
        and earlier.started_at < delivered_versions.started_at
        and earlier.started_at
            >= {{ dbt.dateadd('day', -window_days, 'delivered_versions.started_at') }}
    where earlier.reporting_date in (
        select earlier_contact_dates.reporting_date from earlier_contact_dates
    )

),

-- 3. the contacts of the listed dates whose maturity flag no longer matches as_of.
maturity_flipped as (

    select
        judged_before.contact_type,
        judged_before.contact_id

    from {{ this }} as judged_before
    where judged_before.reporting_date in (
            select dates_rebuilt.reporting_date from dates_rebuilt
        )
        and judged_before.fcr_is_final is distinct from coalesce(
            judged_before.fcr_window_ends_at <= {{ as_of_timestamp() }}, false
        )

),

rejudged_keys as (

    select contact_type, contact_id from repeated_contacts
    union
    select contact_type, contact_id from maturity_flipped

),

-- The rows before this load still current (`still_current`) are read twice below, each
-- read with its own date filter so that it reaches the scan (a shared CTE would be
-- materialised whole, history and all).
contacts_judged as (

    select {{ contact_columns | join(', ') }}
    from delivered_contacts
    union all
    select {{ contact_columns | join(', ') }}
    from {{ this }} as judged_current
    where judged_current.reporting_date in (
            select dates_rebuilt.reporting_date from dates_rebuilt
        )
        and {{ still_current }}
        and exists (
            select 1
            from rejudged_keys
            where rejudged_keys.contact_type = judged_current.contact_type
                and rejudged_keys.contact_id = judged_current.contact_id
        )

),

-- ...judged against the contacts that can be their repeats: those starting up to
-- fcr_window_days later (one extra day for time-zone edges). A bounded read, not history.
repeat_candidate_dates as (

    select distinct
        {{ add_days('offsets.day_offset', 'judged_dates.reporting_date') }} as reporting_date
    from (select distinct contacts_judged.reporting_date from contacts_judged) as judged_dates
    cross join ({{ day_offsets(window_days + 1) }}) as offsets

),

repeat_candidates as (

    select {{ contact_columns | join(', ') }}
    from delivered_contacts
    where reporting_date in (
        select repeat_candidate_dates.reporting_date from repeat_candidate_dates
    )
    union all
    select {{ contact_columns | join(', ') }}
    from {{ this }} as judged_current
    where judged_current.reporting_date in (
            select repeat_candidate_dates.reporting_date from repeat_candidate_dates
        )
        and {{ still_current }}

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
        contacts_judged.customer_id is not null as is_fcr_eligible,
        -- Rule 2 (not marked unresolved) and rule 1 (no repeat); unlinked contacts: null.
        case
            when contacts_judged.customer_id is not null
                then coalesce(repeats.repeat_contacts, 0) = 0
                    and not contacts_judged.is_marked_unresolved
        end as is_first_contact_resolved,
        -- Final once start + window <= as_of (the run's, never the wall clock).
        coalesce(
            {{ dbt.dateadd('day', window_days, 'contacts_judged.started_at') }}
                <= {{ as_of_timestamp() }},
            false
        ) as fcr_is_final,
        contacts_judged.is_marked_unresolved,
        cast(coalesce(repeats.repeat_contacts, 0) as bigint) as repeat_contacts,
        repeats.first_repeat_started_at,
        {{ dbt.dateadd('day', window_days, 'contacts_judged.started_at') }}
            as fcr_window_ends_at,
        cast(contacts_judged.handle_seconds as double) as handle_seconds

    from contacts_judged
    left join repeats
        on contacts_judged.contact_type = repeats.contact_type
        and contacts_judged.contact_id = repeats.contact_id

)

select * from judged {{ full_build_order('reporting_date') }}
