{{ config(materialized='view') }}

{#- Every source's survey responses in one shape: the canonical surveys feed, Qualtrics'
    responses and Zendesk's satisfaction ratings. A view: int_surveys_normalised's filter on
    load_date reaches each scan. -#}
{%- set columns = [
    'response_id', 'survey_type', 'contact_type', 'contact_id', 'customer_id', 'responded_at',
    'score', 'scale_min', 'scale_max', 'language', 'comment', 'load_date', 'loaded_at',
    'source_file', 'source_line',
] -%}

with

surveys as (

    select * from {{ ref('stg_surveys__responses') }}

),

qualtrics as (

    select * from {{ ref('int_survey_responses_from_qualtrics') }}

),

zendesk as (

    select * from {{ ref('int_survey_responses_from_zendesk') }}

),

unioned as (
    {{ union_sources(columns, ['surveys', 'qualtrics', 'zendesk']) }}
)

select * from unioned
