with

source as (

    select * from {{ source('tickets', 'ticket_versions') }}

),

renamed as (

    select
        ----------  ids
        ticket_id,
        customer_id,
        agent_id,
        source_call_id,

        ---------- text
        lower(trim(channel)) as channel,
        category,
        lower(trim(category)) as issue_category,
        queue,
        lower(trim(priority)) as priority,
        lower(trim(status)) as status,

        ---------- numerics
        coalesce(reopen_count, 0) as reopen_count,
        coalesce(agent_reply_count, 0) as agent_reply_count,

        ---------- timestamps
        created_at,
        updated_at,
        first_response_at,
        solved_at,

        ---------- lineage
        _load_date as load_date,
        _loaded_at as loaded_at,
        _source_file as source_file,
        _source_line as source_line

    from source

)

select * from renamed
