with

source as (

    select * from {{ source('zendesk', 'zendesk_ticket_versions') }}

),

renamed as (

    select
        ----------  ids
        ticket_id,
        requester_id,
        {{ customer_key('requester_external_id') }} as requester_external_key,
        group_id as queue,
        assignee_id as agent_id,
        source_call_id,
        satisfaction_rating_id,

        ---------- text
        channel,
        lower(trim(via_channel)) as via_channel,
        category,
        lower(trim(category)) as issue_category,
        lower(trim(priority)) as priority,
        lower(trim(status)) as zendesk_status,
        -- ccpipe's statuses: hold counts as pending; deleted is kept apart (is_deleted)
        case lower(trim(status)) when 'hold' then 'pending' else lower(trim(status)) end
            as status,
        lower(trim(satisfaction_score)) as satisfaction_score,
        satisfaction_comment,

        ---------- numerics
        coalesce(reopen_count, 0) as reopen_count,
        coalesce(agent_reply_count, 0) as agent_reply_count,

        ---------- booleans
        lower(trim(status)) = 'deleted' as is_deleted,

        ---------- timestamps
        created_at,
        updated_at,
        -- Zendesk reports the first reply as whole minutes after creation
        {{ dbt.dateadd('minute', 'first_reply_minutes', 'created_at') }} as first_response_at,
        solved_at,

        ---------- lineage
        _load_date as load_date,
        _loaded_at as loaded_at,
        _source_file as source_file,
        _source_line as source_line,
        _source_path as source_path

    from source

)

select * from renamed
