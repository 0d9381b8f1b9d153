{{
    config(
        materialized='incremental',
        unique_key='ticket_id',
        incremental_strategy='delete+insert',
    )
}}

{%- set daily = is_incremental() and is_daily_load() -%}

with

versions as (

    select * from {{ ref('int_ticket_versions_unioned') }}
    {% if daily -%}
    where load_date = {{ load_date_literal() }}
    {%- endif %}

),

-- The newest version wins; a version delivered again later wins over its earlier copy.
versions_ranked as (

    select
        *,
        row_number() over (
            partition by ticket_id
            order by updated_at desc, load_date desc, loaded_at desc
        ) as version_rank

    from versions

),

newest_versions as (

    select
        ticket_id,
        updated_at,
        customer_id,
        channel,
        category,
        issue_category,
        queue,
        priority,
        status,
        agent_id,
        created_at,
        first_response_at,
        solved_at,
        reopen_count,
        agent_reply_count,
        source_call_id,
        coalesce(is_deleted, false) as is_deleted,
        -- a ticket opened from a call is its paper trail; a deleted one is no longer there
        source_call_id is null and is_deleted is not true as is_contact,
        status in ('solved', 'closed') and solved_at is not null as is_solved,
        not (
            status in ('solved', 'closed')
            and reopen_count = 0
            and agent_reply_count <= 1
        ) as is_marked_unresolved,
        {{ seconds_between('created_at', 'first_response_at') }} / 60.0 as first_reply_minutes,
        case
            when status in ('solved', 'closed')
                then {{ seconds_between('created_at', 'solved_at') }} / 3600.0
        end as resolution_hours,
        {{ to_reporting_date('created_at') }} as created_date,
        case
            when status in ('solved', 'closed')
                then {{ to_reporting_date('solved_at') }}
        end as solved_date,
        load_date,
        loaded_at

    from versions_ranked
    where version_rank = 1

),

{% if is_incremental() %}

-- A late-arriving older version never replaces a newer one already kept.
existing as (

    select
        ticket_id,
        updated_at,
        load_date,
        customer_id,
        issue_category,
        created_at,
        is_contact,
        created_date,
        solved_date

    from {{ this }}
    where ticket_id in (select newest_versions.ticket_id from newest_versions)

),

final as (

    select
        newest_versions.*,
        case
            when existing.created_date <> newest_versions.created_date
                then existing.created_date
        end as replaced_created_date,
        case
            when existing.solved_date is distinct from newest_versions.solved_date
                then existing.solved_date
        end as replaced_solved_date,
        -- Whether the ticket can be or have another contact's repeat in a new place: a new
        -- ticket, or one whose customer, category, start or contact status changed. A rerun
        -- of a load finds its own rows stored: it cannot tell, so it says yes.
        existing.ticket_id is null
        or existing.load_date >= newest_versions.load_date
        or existing.customer_id is distinct from newest_versions.customer_id
        or existing.issue_category is distinct from newest_versions.issue_category
        or existing.created_at <> newest_versions.created_at
        or existing.is_contact <> newest_versions.is_contact as is_regrouped

    from newest_versions
    left join existing
        on newest_versions.ticket_id = existing.ticket_id
    where existing.ticket_id is null
        or newest_versions.updated_at > existing.updated_at
        or (
            newest_versions.updated_at = existing.updated_at
            and newest_versions.load_date >= existing.load_date
        )

)

{% else %}

final as (

    select
        newest_versions.*,
        cast(null as date) as replaced_created_date,
        cast(null as date) as replaced_solved_date,
        true as is_regrouped

    from newest_versions

)

{% endif %}

select * from final {{ full_build_order('created_date') }}
