{#- The logical dates whose every active feed was loaded: a file of the feed's landing folder
    for the date went into the raw tables. A reporting date that is not one of them holds only
    what other dates' files delivered (a ticket created on the 27th first exported on the 1st):
    its counts are partial and its FCR is never final. -#}
{%- set sources = var('sources') -%}

with

audits as (

    select * from {{ ref('stg_loads__audits') }}

),

files_loaded as (

    select
        load_date,
        feed

    from audits
    where load_status = 'loaded'
        and feed in ({{ "'" ~ (sources | join("', '")) ~ "'" }})

),

final as (

    select load_date as reporting_date

    from files_loaded
    group by load_date
    having count(distinct feed) = {{ sources | length }}

)

select * from final
