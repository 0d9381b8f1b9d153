with

source as (

    select * from {{ source('calls', 'call_legs') }}

),

renamed as (

    select
        ----------  ids
        call_id,
        leg_seq,
        customer_id,
        agent_id,

        ---------- text
        lower(trim(direction)) as direction,
        queue,
        lower(trim(disposition)) as disposition,
        reason_code,
        lower(trim(reason_code)) as issue_category,

        ---------- numerics
        coalesce(wrap_seconds, 0) as wrap_seconds,

        ---------- booleans
        resolved as is_resolved_by_agent,

        ---------- timestamps
        started_at,
        answered_at,
        ended_at,

        ---------- lineage
        _load_date as load_date,
        _loaded_at as loaded_at,
        _source_file as source_file,
        _source_line as source_line

    from source

)

select * from renamed
