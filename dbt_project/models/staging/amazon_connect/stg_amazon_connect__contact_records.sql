with

source as (

    select * from {{ source('amazon_connect', 'connect_contact_records') }}

),

renamed as (

    select
        ----------  ids
        contact_id,
        initial_contact_id,
        previous_contact_id,
        next_contact_id,
        coalesce(initial_contact_id, contact_id) as call_id,
        agent_username as agent_id,
        {{ customer_key('customer_attribute') }} as customer_attribute_key,
        -- the caller's number, only as its keyed hash
        {{ phone_key('customer_endpoint_address') }} as customer_phone_key,

        ---------- text
        upper(trim(channel)) as channel,
        upper(trim(initiation_method)) as initiation_method,
        case
            when upper(trim(initiation_method))
                in ('INBOUND', 'TRANSFER', 'QUEUE_TRANSFER', 'CALLBACK', 'WEBRTC_API')
                then 'inbound'
            when upper(trim(initiation_method)) in ('OUTBOUND', 'API')
                then 'outbound'
        end as direction,
        queue_name as queue,
        category_attribute as reason_code,
        lower(trim(category_attribute)) as issue_category,
        disconnect_reason,

        ---------- numerics
        coalesce(after_contact_work_duration, 0) as wrap_seconds,

        ---------- booleans
        resolved_attribute as is_resolved_by_agent,
        coalesce(voicemail_attribute, false) as is_voicemail,

        ---------- timestamps
        initiation_timestamp,
        enqueue_timestamp,
        connected_to_agent_timestamp,
        disconnect_timestamp,
        last_update_timestamp,

        ---------- lineage
        _load_date as load_date,
        _loaded_at as loaded_at,
        _source_file as source_file,
        _source_line as source_line

    from source

)

select * from renamed
