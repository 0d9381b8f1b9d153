{{ config(materialized='view') }}

{#- Zendesk ticket versions as the ticket versions int_tickets_latest reads, with the
    customer resolved: the deployment's identity map (by requester_id), else the requester's
    external_id, else the requester itself as zendesk:<requester_id> (unless the deployment
    says a requester without an external_id is anonymous). Per row, so a daily load's filter
    on load_date reaches the scan. -#}

with

versions as (

    select * from {{ ref('stg_zendesk__tickets') }}

),

identities as (

    select * from {{ ref('stg_identities__customer_keys') }}
    where source = 'zendesk'

),

mapped as (

    select
        versions.ticket_id,
        versions.updated_at,
        coalesce(
            identities.customer_id,
            versions.requester_external_key,
            {% if not var('zendesk_require_external_id') -%}
            'zendesk:' || versions.requester_id
            {%- else -%}
            null
            {%- endif %}
        ) as customer_id,
        versions.channel,
        versions.category,
        versions.issue_category,
        versions.queue,
        versions.priority,
        versions.status,
        versions.agent_id,
        versions.created_at,
        versions.first_response_at,
        versions.solved_at,
        versions.reopen_count,
        versions.agent_reply_count,
        versions.source_call_id,
        versions.is_deleted,
        versions.satisfaction_rating_id,
        versions.satisfaction_score,
        versions.satisfaction_comment,
        versions.load_date,
        versions.loaded_at,
        versions.source_file,
        versions.source_line

    from versions
    left join identities
        on versions.requester_id = identities.source_key

)

select * from mapped
