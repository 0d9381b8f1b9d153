{{
    config(
        materialized='incremental',
        unique_key=['contact_type', 'contact_id'],
        incremental_strategy='rebuild_keys',
        rebuild_keys_also='int_contacts_delivered',
        on_schema_change='append_new_columns',
    )
}}

with

contacts as (

    select * from {{ ref('int_contacts_fcr_judged') }}

),

dates_rebuilt as (

    select * from {{ ref('int_reporting_dates_rebuilt') }}

),

-- Keys this load delivered: their rows are replaced (or dropped) by the strategy.
delivered as (

    select * from {{ ref('int_contacts_delivered') }}

),

final as (

    select
        contact_id,
        contact_type,
        channel,
        customer_id,
        queue,
        agent_id,
        issue_category,
        started_at,
        reporting_date,
        is_fcr_eligible,
        is_first_contact_resolved,
        fcr_is_final,
        is_marked_unresolved,
        cast(repeat_contacts as bigint) as repeat_contacts,
        first_repeat_started_at,
        fcr_window_ends_at,
        cast(handle_seconds as double) as handle_seconds

    from contacts
    {% if is_incremental() -%}
    where reporting_date in (select dates_rebuilt.reporting_date from dates_rebuilt)
        {%- if is_daily_load() %}
        -- the rows int_contacts_fcr_judged rewrote in this build
        and judged_load_date = {{ load_date_literal() }}
        {%- endif %}
    {%- endif %}

)

select * from final
