{{ config(materialized='view') }}

{#- Zendesk satisfaction ratings as CSAT responses on the 0-1 scale (good = 1, bad = 0), one
    per rated ticket (its rating's id), dated when rated: the first version that carries the
    ticket's current score. A ticket's later versions carry the rating on; they deliver
    nothing new: the response belongs to the load that first delivered its score, and a
    changed score is a new delivery of the same response. When int_surveys_normalised runs
    on a daily load, only the tickets this load delivered a rated version of are read, with
    all their versions. -#}
{%- set daily = relation_before_load('int_surveys_normalised') is not none -%}

with

rated_versions as (

    select * from {{ ref('int_ticket_versions_from_zendesk') }}
    where satisfaction_score in ('good', 'bad')

),

{% if daily %}

tickets_rated as (

    select distinct ticket_id
    from rated_versions
    where load_date = {{ load_date_literal() }}

),

versions_in_scope as (

    select *
    from rated_versions
    where ticket_id in (select tickets_rated.ticket_id from tickets_rated)

),

{% else %}

versions_in_scope as (

    select * from rated_versions

),

{% endif %}

-- A ticket's rating now: its newest rated version's.
current_ratings as (

    select *
    from versions_in_scope
    qualify row_number() over (
        partition by ticket_id
        order by updated_at desc, load_date desc, loaded_at desc
    ) = 1

),

-- When that score was given, and the load that first delivered it.
first_rated as (

    select
        versions_in_scope.ticket_id,
        min(versions_in_scope.updated_at) as rated_at,
        min(versions_in_scope.load_date) as first_load_date

    from versions_in_scope
    inner join current_ratings
        on versions_in_scope.ticket_id = current_ratings.ticket_id
        and versions_in_scope.satisfaction_score = current_ratings.satisfaction_score
        and versions_in_scope.satisfaction_rating_id
            is not distinct from current_ratings.satisfaction_rating_id
    group by versions_in_scope.ticket_id

),

responses as (

    select
        'zendesk-rating-' || coalesce(
            current_ratings.satisfaction_rating_id, 'ticket-' || current_ratings.ticket_id
        ) as response_id,
        'csat' as survey_type,
        'ticket' as contact_type,
        current_ratings.ticket_id as contact_id,
        current_ratings.customer_id,
        first_rated.rated_at as responded_at,
        case current_ratings.satisfaction_score when 'good' then 1 else 0 end as score,
        0 as scale_min,
        1 as scale_max,
        cast(null as varchar) as language,
        current_ratings.satisfaction_comment as comment,
        first_rated.first_load_date as load_date,
        current_ratings.loaded_at,
        current_ratings.source_file,
        current_ratings.source_line

    from current_ratings
    inner join first_rated
        on current_ratings.ticket_id = first_rated.ticket_id

)

select * from responses
