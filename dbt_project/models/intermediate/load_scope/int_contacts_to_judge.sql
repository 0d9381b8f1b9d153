{{ config(materialized='view') }}

{#- The contacts whose FCR verdict fct_contacts computes in this build: every handled contact
    on a full build; on a daily load only those whose verdict can change (see
    incremental_design). A daily load reads fct_contacts as it stood before the load
    (relation_before_load: fct_contacts reads this view, so a ref() back would be a cycle). A
    view, so DuckDB inlines it into fct_contacts and every date filter here reaches its scan. -#}
{%- set judged_before = relation_before_load('fct_contacts') -%}
{%- set window_days = var('fcr_window_days') -%}
{%- set columns = fcr_input_columns() | join(', ') -%}

with

{{ load_scope_inputs(judged_before) }},

{% if judged_before is none %}

contacts_to_judge as (

    select {{ columns }} from contacts

)

{% else %}

-- 1. the contacts this load delivered;
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

    from {{ judged_before }} as judged_before
    inner join regrouped
        on judged_before.contact_type = regrouped.contact_type
        and judged_before.contact_id = regrouped.contact_id
    where judged_before.reporting_date in (
        select dates_rebuilt.reporting_date from dates_rebuilt
    )

),

delivered_versions as (

    select
        contacts.customer_id,
        contacts.issue_category,
        contacts.started_at,
        contacts.reporting_date

    from contacts
    inner join regrouped
        on contacts.contact_type = regrouped.contact_type
        and contacts.contact_id = regrouped.contact_id
    where contacts.customer_id is not null
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
    from {{ judged_before }} as earlier
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

    from {{ judged_before }} as judged_before
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

-- The delivered contacts, and the rows of 2. and 3. before this load that are still current
-- (not delivered again by it).
contacts_to_judge as (

    select {{ columns }}
    from contacts
    union all
    select {{ columns }}
    from {{ judged_before }} as judged_current
    where judged_current.reporting_date in (
            select dates_rebuilt.reporting_date from dates_rebuilt
        )
        and {{ not_delivered('judged_current') }}
        and exists (
            select 1
            from rejudged_keys
            where rejudged_keys.contact_type = judged_current.contact_type
                and rejudged_keys.contact_id = judged_current.contact_id
        )

)

{% endif %}

select * from contacts_to_judge
