{{ config(materialized='view') }}

{#- The contacts that can be the repeats of the contacts judged in this build
    (int_contacts_to_judge): every handled contact on a full build; on a daily load the
    current contacts starting on a date it rebuilds or up to fcr_window_days + 1 days after
    one (one extra day for time-zone edges), a bounded read, not history: the contacts this
    load delivered and the rows of fct_contacts before the load that are still current
    (relation_before_load, as in int_contacts_to_judge). Every contact judged lies on a
    rebuilt date, so these hold every repeat it can have (more candidates than that change
    no verdict: a repeat is matched on customer, category and start). Not read off the
    judged contacts' own dates: DuckDB would then work out int_contacts_to_judge twice. A
    view, like int_contacts_to_judge. -#}
{%- set judged_before = relation_before_load('fct_contacts') -%}
{%- set window_days = var('fcr_window_days') -%}
{%- set columns = fcr_input_columns() | join(', ') -%}

with

{{ load_scope_inputs(judged_before) }},

{% if judged_before is none %}

repeat_candidates as (

    select {{ columns }} from contacts

)

{% else %}

repeat_candidate_dates as (

    select distinct
        {{ add_days('offsets.day_offset', 'dates_rebuilt.reporting_date') }} as reporting_date
    from dates_rebuilt
    cross join ({{ day_offsets(window_days + 1) }}) as offsets

),

-- This read of the rows before this load has its own date filter, so that it reaches the
-- scan (a relation shared with int_contacts_to_judge would be read whole, history and all).
repeat_candidates as (

    select {{ columns }}
    from contacts
    where reporting_date in (
        select repeat_candidate_dates.reporting_date from repeat_candidate_dates
    )
    union all
    select {{ columns }}
    from {{ judged_before }} as judged_current
    where judged_current.reporting_date in (
            select repeat_candidate_dates.reporting_date from repeat_candidate_dates
        )
        and {{ not_delivered('judged_current') }}

)

{% endif %}

select * from repeat_candidates
