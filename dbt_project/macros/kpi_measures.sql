{#- The KPI measures of kpi_daily and kpi_daily_by_queue, one definition for both grains.

    kpi_counts(contacts, surveys, grain) renders the CTEs contact_counts, survey_counts,
    grain_keys and kpi_counts (sample sizes and numerators per grain); kpi_rates() the
    published rates over kpi_counts. `contacts` rows come from fct_contacts,
    `surveys` rows from int_surveys_attributed, both carrying the grain columns. -#}

{% macro kpi_counts(contacts, surveys, grain) -%}

contact_counts as (

    select
        {%- for column in grain %}
        {{ column }},
        {%- endfor %}
        count(*) as contacts_handled,
        count(case when is_fcr_eligible then 1 end) as fcr_eligible,
        count(case when is_first_contact_resolved then 1 end) as fcr_resolved,
        count(case when not is_fcr_eligible then 1 end) as fcr_unlinked_contacts,
        min(case when fcr_is_final then 1 else 0 end) = 1 as fcr_is_final

    from {{ contacts }}
    group by {{ grain | join(', ') }}

),

survey_counts as (

    select
        {%- for column in grain %}
        {{ column }},
        {%- endfor %}
        count(is_fcr_survey_yes) as fcr_survey_responses,
        count(case when is_fcr_survey_yes then 1 end) as fcr_survey_yes,
        count(is_csat_satisfied) as csat_responses,
        count(case when is_csat_satisfied then 1 end) as csat_satisfied,
        sum(case when survey_type = 'csat' then score end) as csat_score_sum,
        sum(case when survey_type = 'csat' then scale_max end) as csat_score_max_sum,
        count(is_nps_promoter) as nps_responses,
        count(case when is_nps_promoter then 1 end) as nps_promoters,
        count(case when is_nps_detractor then 1 end) as nps_detractors,
        count(ces_score_7pt) as ces_responses,
        avg(ces_score_7pt) as ces_mean_7pt,
        count(case when is_ces_agree then 1 end) as ces_agree,
        count(case when is_ces_disagree then 1 end) as ces_disagree

    from {{ surveys }}
    group by {{ grain | join(', ') }}

),

grain_keys as (

    select {{ grain | join(', ') }} from contact_counts
    union
    select {{ grain | join(', ') }} from survey_counts

),

kpi_counts as (

    select
        {%- for column in grain %}
        grain_keys.{{ column }},
        {%- endfor %}
        coalesce(contact_counts.contacts_handled, 0) as contacts_handled,
        coalesce(contact_counts.fcr_eligible, 0) as fcr_eligible,
        coalesce(contact_counts.fcr_resolved, 0) as fcr_resolved,
        coalesce(contact_counts.fcr_unlinked_contacts, 0) as fcr_unlinked_contacts,
        -- every contact of the row final; a row without contacts has nothing provisional
        coalesce(contact_counts.fcr_is_final, true) as fcr_is_final,
        coalesce(survey_counts.fcr_survey_responses, 0) as fcr_survey_responses,
        coalesce(survey_counts.fcr_survey_yes, 0) as fcr_survey_yes,
        coalesce(survey_counts.csat_responses, 0) as csat_responses,
        coalesce(survey_counts.csat_satisfied, 0) as csat_satisfied,
        survey_counts.csat_score_sum,
        survey_counts.csat_score_max_sum,
        coalesce(survey_counts.nps_responses, 0) as nps_responses,
        coalesce(survey_counts.nps_promoters, 0) as nps_promoters,
        coalesce(survey_counts.nps_detractors, 0) as nps_detractors,
        coalesce(survey_counts.ces_responses, 0) as ces_responses,
        survey_counts.ces_mean_7pt,
        coalesce(survey_counts.ces_agree, 0) as ces_agree,
        coalesce(survey_counts.ces_disagree, 0) as ces_disagree

    from grain_keys
    left join contact_counts
        on {% for column in grain -%}
        grain_keys.{{ column }} = contact_counts.{{ column }}
        {%- if not loop.last %} and {% endif %}
        {%- endfor %}
    left join survey_counts
        on {% for column in grain -%}
        grain_keys.{{ column }} = survey_counts.{{ column }}
        {%- if not loop.last %} and {% endif %}
        {%- endfor %}

)

{%- endmacro %}


{% macro kpi_rates() -%}
        cast(contacts_handled as bigint) as contacts_handled,
        cast(fcr_eligible as bigint) as fcr_eligible,
        cast(fcr_resolved as bigint) as fcr_resolved,
        cast(fcr_unlinked_contacts as bigint) as fcr_unlinked_contacts,
        cast({{ safe_ratio('fcr_resolved', 'fcr_eligible') }} as double) as fcr_rate,
        cast({{ wilson_bound('fcr_resolved', 'fcr_eligible', -1) }} as double) as fcr_ci_low,
        cast({{ wilson_bound('fcr_resolved', 'fcr_eligible', 1) }} as double) as fcr_ci_high,
        cast({{ var('fcr_target') }} as double) as fcr_target,
        {{ safe_ratio('fcr_resolved', 'fcr_eligible') }} >= {{ var('fcr_target') }}
            as fcr_meets_target,
        -- final only where every contact is and the date's own feeds were loaded
        fcr_is_final and {{ is_date_loaded('reporting_date') }} as fcr_is_final,
        {{ is_date_loaded('reporting_date') }} as is_date_loaded,
        cast(fcr_survey_responses as bigint) as fcr_survey_responses,
        cast({{ safe_ratio('fcr_survey_yes', 'fcr_survey_responses') }} as double)
            as fcr_survey_rate,
        cast(csat_responses as bigint) as csat_responses,
        cast(csat_satisfied as bigint) as csat_satisfied,
        cast({{ safe_ratio('csat_satisfied', 'csat_responses') }} as double) as csat_pct,
        cast({{ wilson_bound('csat_satisfied', 'csat_responses', -1) }} as double)
            as csat_ci_low,
        cast({{ wilson_bound('csat_satisfied', 'csat_responses', 1) }} as double)
            as csat_ci_high,
        cast(100 * {{ safe_ratio('csat_score_sum', 'csat_score_max_sum') }} as double)
            as csat_score_pct,
        cast(nps_responses as bigint) as nps_responses,
        cast(nps_promoters as bigint) as nps_promoters,
        cast(nps_detractors as bigint) as nps_detractors,
        cast({{ nps_score('nps_promoters', 'nps_detractors', 'nps_responses') }} as double)
            as nps,
        cast({{ nps_margin('nps_promoters', 'nps_detractors', 'nps_responses') }} as double)
            as nps_margin,
        cast(ces_responses as bigint) as ces_responses,
        cast(ces_mean_7pt as double) as ces_mean_7pt,
        cast({{ net_score('ces_agree', 'ces_disagree', 'ces_responses') }} as double) as ces_net
{%- endmacro %}
