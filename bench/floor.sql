-- The floor: kpi_daily and call_ops_daily of one day computed straight from that day's
-- landing files with plain DuckDB SQL, no framework around it. bench/__main__.py fills in
-- $calls, $tickets and $surveys (the day's files, read as text) and $day, $as_of.
-- Definitions follow docs/metrics.md; the newest day's rows need no history
-- (its repeats, ticket versions and survey responses all land in its own files).

set TimeZone = 'UTC';

create temp table legs as
select
    call_id,
    cast(leg_seq as integer) as leg_seq,
    direction,
    nullif(customer_id, '') as customer_id,
    queue,
    nullif(agent_id, '') as agent_id,
    cast(started_at as timestamptz) as started_at,
    cast(nullif(answered_at, '') as timestamptz) as answered_at,
    cast(ended_at as timestamptz) as ended_at,
    cast(wrap_seconds as integer) as wrap_seconds,
    disposition,
    lower(trim(reason_code)) as issue_category,
    cast(nullif(resolved, '') as boolean) as resolved
from ($calls);

create temp table calls as
select
    call_id,
    arg_min(direction, leg_seq) as direction,
    arg_min(customer_id, leg_seq) as customer_id,
    arg_min(queue, leg_seq) as entry_queue,
    min(started_at) as started_at,
    arg_max(ended_at, leg_seq) as last_ended_at,
    arg_max(disposition, leg_seq) as last_disposition,
    count(answered_at) > 0 as is_handled,
    count(answered_at) as answered_legs,
    arg_min(answered_at, leg_seq) filter (answered_at is not null) as first_answered_at,
    arg_max(queue, leg_seq) filter (answered_at is not null) as handling_queue,
    arg_max(agent_id, leg_seq) filter (answered_at is not null) as handling_agent,
    arg_max(issue_category, leg_seq) filter (answered_at is not null) as issue_category,
    coalesce(bool_or(resolved = false) filter (answered_at is not null), false)
        as is_marked_unresolved,
    sum(epoch(ended_at) - epoch(answered_at) + wrap_seconds) filter (answered_at is not null)
        as handle_seconds
from legs
group by call_id;

create temp table ticket_latest as
select *
from (
    select
        ticket_id,
        cast(updated_at as timestamptz) as updated_at,
        nullif(customer_id, '') as customer_id,
        channel,
        lower(trim(category)) as issue_category,
        status,
        cast(created_at as timestamptz) as created_at,
        cast(reopen_count as integer) as reopen_count,
        cast(agent_reply_count as integer) as agent_reply_count,
        nullif(source_call_id, '') as source_call_id
    from ($tickets)
)
qualify row_number() over (partition by ticket_id order by updated_at desc) = 1;

create temp table contacts as
select customer_id, issue_category, started_at, is_marked_unresolved
from calls
where direction = 'inbound' and is_handled and cast(started_at as date) = date '$day'
union all
select
    customer_id,
    issue_category,
    created_at,
    not (status in ('solved', 'closed') and reopen_count = 0 and agent_reply_count <= 1)
from ticket_latest
where source_call_id is null and cast(created_at as date) = date '$day';

create temp table fcr as
select
    count(*) as contacts_handled,
    count(c.customer_id) as fcr_eligible,
    count(*) filter (c.customer_id is not null and not c.is_marked_unresolved and not exists (
        select 1 from contacts as r
        where r.customer_id = c.customer_id
            and r.issue_category = c.issue_category
            and r.started_at > c.started_at
            and r.started_at <= c.started_at + interval 7 day
    )) as fcr_resolved,
    count(*) - count(c.customer_id) as fcr_unlinked_contacts,
    bool_and(c.started_at + interval 7 day <= timestamptz '$as_of') as fcr_is_final
from contacts as c;

create temp table responses as
select
    survey_type,
    cast(translate(score, '۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', '01234567890123456789') as integer) as score,
    cast(scale_min as integer) as scale_min,
    cast(scale_max as integer) as scale_max
from ($surveys)
where cast(cast(responded_at as timestamptz) as date) = date '$day';

create temp table survey_counts as
select
    count(*) filter (survey_type = 'fcr') as fcr_survey_responses,
    count(*) filter (survey_type = 'fcr' and score = 1) as fcr_survey_yes,
    count(*) filter (survey_type = 'csat') as csat_responses,
    count(*) filter (
        survey_type = 'csat' and (score - scale_min) / (scale_max - scale_min) >= 0.75
    ) as csat_satisfied,
    sum(score) filter (survey_type = 'csat') as csat_score_sum,
    sum(scale_max) filter (survey_type = 'csat') as csat_score_max_sum,
    count(*) filter (survey_type = 'nps') as nps_responses,
    count(*) filter (survey_type = 'nps' and score >= 9) as promoters,
    count(*) filter (survey_type = 'nps' and score <= 6) as detractors,
    count(*) filter (survey_type = 'ces') as ces_responses,
    avg(1 + 6 * (score - scale_min) / (scale_max - scale_min)) filter (survey_type = 'ces')
        as ces_mean_7pt,
    count(*) filter (survey_type = 'ces' and score > (scale_min + scale_max) / 2) as ces_agree,
    count(*) filter (survey_type = 'ces' and score < (scale_min + scale_max) / 2) as ces_disagree
from responses;

create temp table floor_kpi_daily as
with rates as (
    select
        *,
        fcr_resolved / nullif(fcr_eligible, 0) as p_fcr,
        csat_satisfied / nullif(csat_responses, 0) as p_csat,
        promoters / nullif(nps_responses, 0) as p_promoters,
        detractors / nullif(nps_responses, 0) as p_detractors
    from fcr, survey_counts
)
select
    date '$day' as reporting_date,
    contacts_handled,
    fcr_eligible,
    fcr_resolved,
    fcr_unlinked_contacts,
    p_fcr as fcr_rate,
    (p_fcr + 1.96 ^ 2 / (2 * fcr_eligible)
        - 1.96 * sqrt(p_fcr * (1 - p_fcr) / fcr_eligible + 1.96 ^ 2 / (4 * fcr_eligible ^ 2)))
        / (1 + 1.96 ^ 2 / fcr_eligible) as fcr_ci_low,
    (p_fcr + 1.96 ^ 2 / (2 * fcr_eligible)
        + 1.96 * sqrt(p_fcr * (1 - p_fcr) / fcr_eligible + 1.96 ^ 2 / (4 * fcr_eligible ^ 2)))
        / (1 + 1.96 ^ 2 / fcr_eligible) as fcr_ci_high,
    0.80 as fcr_target,
    p_fcr >= 0.80 as fcr_meets_target,
    fcr_is_final,
    fcr_survey_yes / nullif(fcr_survey_responses, 0) as fcr_survey_rate,
    csat_responses,
    p_csat as csat_pct,
    100 * csat_score_sum / nullif(csat_score_max_sum, 0) as csat_score_pct,
    nps_responses,
    100 * (p_promoters - p_detractors) as nps,
    1.96 * 100 * sqrt(
        (p_promoters + p_detractors - (p_promoters - p_detractors) ^ 2) / nps_responses
    ) as nps_margin,
    ces_responses,
    ces_mean_7pt,
    100 * (ces_agree - ces_disagree) / nullif(ces_responses, 0) as ces_net
from rates;

create temp table floor_call_ops_daily as
with inbound as (
    select
        *,
        not is_handled and last_disposition = 'abandoned' as is_abandoned,
        not is_handled and last_disposition = 'abandoned'
            and epoch(last_ended_at) - epoch(started_at) < 5 as is_short_abandon
    from calls
    where direction = 'inbound' and cast(started_at as date) = date '$day'
)
select
    date '$day' as reporting_date,
    entry_queue as queue,
    count(*) as calls_offered,
    count(*) filter (is_handled) as calls_handled,
    count(*) filter (is_abandoned) as calls_abandoned,
    count(*) filter (is_short_abandon) as short_abandons,
    (count(*) filter (is_abandoned) - count(*) filter (is_short_abandon))
        / nullif(count(*) - count(*) filter (is_short_abandon), 0) as abandon_rate,
    avg(epoch(first_answered_at) - epoch(started_at)) filter (is_handled) as asa_seconds,
    count(*) filter (is_handled and epoch(first_answered_at) - epoch(started_at) <= 20)
        / nullif(count(*) - count(*) filter (is_short_abandon), 0) as service_level,
    avg(handle_seconds) filter (is_handled) as aht_seconds,
    count(*) filter (answered_legs > 1) / nullif(count(*) filter (is_handled), 0)
        as transfer_rate
from inbound
group by entry_queue;
