{{ config(unique_key='week_start') }}

with

contacts as (

    select * from {{ ref('fct_contacts') }}

),

surveys as (

    select * from {{ ref('int_surveys_attributed') }}

),

-- Contacts count for the agent who finished them (a call's last answered leg).
agent_contacts as (

    select
        {{ week_start('reporting_date') }} as week_start,
        *

    from contacts
    where agent_id is not null
        -- a rebuilt date rebuilds its whole week (Monday to Sunday)
        and {{ in_rebuilt_dates('reporting_date', whole_weeks=true) }}

),

-- Surveys count in the week of the response, for the agent of the rated contact.
agent_surveys as (

    select
        {{ week_start('reporting_date') }} as week_start,
        *

    from surveys
    where agent_id is not null
        and {{ in_rebuilt_dates('reporting_date', whole_weeks=true) }}

),

contact_counts as (

    select
        week_start,
        agent_id,
        count(*) as contacts_handled,
        count(case when contact_type = 'call' then 1 end) as calls_handled,
        count(case when is_fcr_eligible then 1 end) as fcr_eligible,
        count(case when is_first_contact_resolved then 1 end) as fcr_resolved,
        min(case when fcr_is_final then 1 else 0 end) = 1 as fcr_is_final,
        avg(case when contact_type = 'call' then handle_seconds end) as aht_seconds

    from agent_contacts
    group by
        week_start,
        agent_id

),

survey_counts as (

    select
        week_start,
        agent_id,
        count(is_csat_satisfied) as csat_responses,
        count(case when is_csat_satisfied then 1 end) as csat_satisfied,
        count(is_nps_promoter) as nps_responses,
        count(case when is_nps_promoter then 1 end) as nps_promoters,
        count(case when is_nps_detractor then 1 end) as nps_detractors

    from agent_surveys
    group by
        week_start,
        agent_id

),

grain_keys as (

    select week_start, agent_id from contact_counts
    union
    select week_start, agent_id from survey_counts

),

final as (

    select
        grain_keys.week_start,
        grain_keys.agent_id,
        cast(coalesce(contact_counts.contacts_handled, 0) as bigint) as contacts_handled,
        cast(coalesce(contact_counts.calls_handled, 0) as bigint) as calls_handled,
        cast(coalesce(contact_counts.fcr_eligible, 0) as bigint) as fcr_eligible,
        cast(coalesce(contact_counts.fcr_resolved, 0) as bigint) as fcr_resolved,
        cast(
            {{ safe_ratio('contact_counts.fcr_resolved', 'contact_counts.fcr_eligible') }}
            as double
        ) as fcr_rate,
        coalesce(contact_counts.fcr_is_final, true) as fcr_is_final,
        cast(coalesce(survey_counts.csat_responses, 0) as bigint) as csat_responses,
        cast(
            {{ safe_ratio('survey_counts.csat_satisfied', 'survey_counts.csat_responses') }}
            as double
        ) as csat_pct,
        cast(contact_counts.aht_seconds as double) as aht_seconds,
        cast(coalesce(survey_counts.nps_responses, 0) as bigint) as nps_responses,
        cast(
            {{ nps_score(
                'survey_counts.nps_promoters',
                'survey_counts.nps_detractors',
                'survey_counts.nps_responses',
            ) }}
            as double
        ) as nps

    from grain_keys
    left join contact_counts
        on grain_keys.week_start = contact_counts.week_start
        and grain_keys.agent_id = contact_counts.agent_id
    left join survey_counts
        on grain_keys.week_start = survey_counts.week_start
        and grain_keys.agent_id = survey_counts.agent_id

)

select * from final
