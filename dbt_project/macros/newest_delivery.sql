{#- The `final` CTE of a model keyed by one id whose records a later load can deliver again
    (calls, survey responses): on an incremental run, a delivery older than the stored row is
    never written over it, and the reporting date a record leaves is kept as
    replaced_reporting_date so the marts rebuild that date too. Earlier deliveries are looked
    up within redelivery_lookback_days only (the model's delete+insert carries the same
    bound as its incremental_predicates). `deliveries` is the CTE of this
    load's records, with `key`, load_date and reporting_date. -#}
{% macro newest_delivery_final(deliveries, key) -%}

{% if is_incremental() %}

existing as (

    select
        {{ key }},
        load_date,
        reporting_date

    from {{ this }}
    where {{ key }} in (select {{ deliveries }}.{{ key }} from {{ deliveries }})
        and {{ within_redelivery_lookback() }}

),

final as (

    select
        {{ deliveries }}.*,
        case
            when existing.reporting_date <> {{ deliveries }}.reporting_date
                then existing.reporting_date
        end as replaced_reporting_date

    from {{ deliveries }}
    left join existing
        on {{ deliveries }}.{{ key }} = existing.{{ key }}
    where existing.{{ key }} is null
        or {{ deliveries }}.load_date >= existing.load_date

)

{% else %}

final as (

    select
        {{ deliveries }}.*,
        cast(null as date) as replaced_reporting_date

    from {{ deliveries }}

)

{% endif %}

{%- endmacro %}
