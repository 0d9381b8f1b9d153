{#- What this build rebuilds: the filters the incremental models put on their reads, and the
    relations the load-scope plumbing reads without a ref() (see _macros__docs.yml). -#}

{#- The relation of a model of this project, found by name in dbt's graph, for a reader that
    must not ref() it: a data test's filter, an incremental strategy, or a model the named one
    reads (a ref back would be a cycle). Only when nodes run (the graph is not there while
    dbt parses). -#}
{% macro model_relation(model_name) -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}
        {{- exceptions.raise_compiler_error("no model named " ~ model_name ~ " in this project") -}}
    {%- endif -%}
    {{- return(api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias
    )) -}}
{%- endmacro %}

{#- The table of incremental model `model_name` as this build finds it before the model
    runs, when the model runs incrementally on a daily load (the decision its own
    is_incremental() and is_daily_load() make: the relation exists as a table, no
    --full-refresh, a load_date given); none otherwise, and always none while dbt parses. -#}
{% macro relation_before_load(model_name) -%}
    {%- if not execute or not is_daily_load() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {%- set full_refresh = node.config.full_refresh
        if node.config.full_refresh is not none else flags.FULL_REFRESH -%}
    {%- if node.config.materialized != 'incremental' or full_refresh -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set relation = adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias
    ) -%}
    {{- return(relation if relation is not none and relation.type == 'table' else none) -}}
{%- endmacro %}

{#- The filter of an incremental model's reads to the dates this build rebuilds
    (int_reporting_dates_rebuilt): `column in (those dates)` on an incremental run, with
    whole_weeks every day of their weeks; `true` on a full build and in unit tests. The ref is
    taken while dbt parses too (execute false), so every build knows the dependency, but a
    full build or a unit test never reads the relation (nor stubs it). -#}
{% macro in_rebuilt_dates(column='reporting_date', whole_weeks=false) -%}
    {%- if not execute or is_incremental() -%}
        {%- set rebuilt = ref('int_reporting_dates_rebuilt') -%}
    {%- endif -%}
    {%- if not is_incremental() -%}
        true
    {%- elif whole_weeks -%}
        {{ column }} in (
            select distinct {{ add_days('offsets.day_offset', 'weeks.week_start') }}
            from (select distinct rebuilt.week_start from {{ rebuilt }} as rebuilt) as weeks
            cross join ({{ day_offsets(6) }}) as offsets
        )
    {%- else -%}
        {{ column }} in (select rebuilt.reporting_date from {{ rebuilt }} as rebuilt)
    {%- endif -%}
{%- endmacro %}

{#- The filter of a survey model's reads to the responses a daily load re-attributes
    (int_surveys_rebuilt); `true` on any other build and in unit tests (the ref as in
    in_rebuilt_dates). -#}
{% macro in_rebuilt_responses() -%}
    {%- set daily = is_incremental() and is_daily_load() -%}
    {%- if not execute or daily -%}
        {%- set rebuilt = ref('int_surveys_rebuilt') -%}
    {%- endif -%}
    {%- if daily -%}
        response_id in (select rebuilt.response_id from {{ rebuilt }} as rebuilt)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The columns of a contact that its FCR verdict reads: what int_contacts_to_judge and
    int_contacts_repeat_candidates hand fct_contacts. -#}
{% macro fcr_input_columns() -%}
    {{- return([
        'contact_id', 'contact_type', 'channel', 'customer_id', 'queue', 'agent_id',
        'issue_category', 'started_at', 'reporting_date', 'handle_seconds',
        'is_marked_unresolved', 'unresolved_reason',
    ]) -}}
{%- endmacro %}

{#- The rows of fct_contacts before this load that are still current: every contact but those
    this load delivered (CTE `delivered`, over int_contacts_delivered), whose rows it replaces
    or drops. `alias` names the fct_contacts rows. -#}
{% macro not_delivered(alias) -%}
    not exists (
        select 1
        from delivered
        where delivered.contact_type = {{ alias }}.contact_type
            and delivered.contact_id = {{ alias }}.contact_id
    )
{%- endmacro %}

{#- The inputs both load-scope views read, as CTEs: `contacts` (int_contacts_unified; on a
    daily load only the contacts it delivered, the filter reaching the scan), `delivered`
    (int_contacts_delivered) and `dates_rebuilt` (int_reporting_dates_rebuilt).
    `judged_before` is relation_before_load('fct_contacts'): none on a full build. -#}
{% macro load_scope_inputs(judged_before) -%}
contacts as (

    select * from {{ ref('int_contacts_unified') }}
    {%- if judged_before is not none %}
    -- a daily load reads only the contacts it delivered: a filter here reaches the scan
    where load_date = {{ load_date_literal() }}
    {%- endif %}

),

delivered as (

    select * from {{ ref('int_contacts_delivered') }}

),

dates_rebuilt as (

    select * from {{ ref('int_reporting_dates_rebuilt') }}

)
{%- endmacro %}
