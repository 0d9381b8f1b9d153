{#- The two run values, load_date and as_of. Both come from the run (ccpipe run --date/--as-of,
    the DAG's logical time), never from the wall clock, so a rerun gives the same numbers.
    ccpipe hands them to dbt as the environment variables CCPIPE_LOAD_DATE and CCPIPE_AS_OF;
    by hand, --vars '{load_date: ..., as_of: ...}' takes precedence. Empty or missing is none.
    They are read when a node runs, never while dbt parses (execute is false then: none), so
    parsing never depends on them and dbt's partial parsing re-parses nothing on a new date,
    where vars that change every day make it parse the whole project (~3 s). Nothing parsing
    keeps (refs, sources, configs) may depend on them: no ref sits in a daily-only branch. -#}
{% macro run_value(name) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(var(name, env_var('CCPIPE_' ~ name | upper, '')) or none) -}}
{%- endmacro %}

{#- dbt's test filter (`where` config) with placeholders for the rows this build made, filled
    in when the test runs, so test configs, too, never depend on the run values:
    __this_load__      the rows this daily load delivered (load_date = the run's load_date);
    __rebuilt_dates__  the rows on the reporting dates it rebuilt (int_reporting_dates_rebuilt);
    __rebuilt_weeks__  the rows of the weeks it rebuilt (week_start of those dates).
    On a build without a load_date each is `1 = 1`: every row is checked. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set filled = namespace(where=where) -%}
        {%- if is_daily_load() -%}
            {%- set rebuilt = model_relation('int_reporting_dates_rebuilt') -%}
            {%- set fillers = {
                '__this_load__': 'load_date = ' ~ load_date_literal(),
                '__rebuilt_dates__':
                    'reporting_date in (select reporting_date from ' ~ rebuilt ~ ')',
                '__rebuilt_weeks__': 'week_start in (select week_start from ' ~ rebuilt ~ ')',
            } -%}
        {%- else -%}
            {%- set fillers = {
                '__this_load__': '1 = 1',
                '__rebuilt_dates__': '1 = 1',
                '__rebuilt_weeks__': '1 = 1',
            } -%}
        {%- endif -%}
        {%- for placeholder, filler in fillers.items() -%}
            {%- set filled.where = filled.where | replace(placeholder, filler) -%}
        {%- endfor -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ filled.where }}) dbt_subquery
        {%- endset -%}
        {{- return(filtered) -}}
    {%- else -%}
        {{- return(relation) -}}
    {%- endif -%}
{%- endmacro %}

{% macro as_of_timestamp() -%}
    {%- set as_of = run_value('as_of') -%}
    {%- if as_of is none -%}
        cast(null as {{ dbt.type_timestamp() }} with time zone)
    {%- else -%}
        cast('{{ as_of }}' as {{ dbt.type_timestamp() }} with time zone)
    {%- endif -%}
{%- endmacro %}

{#- True when this build processes one load (incremental daily run), false when it
    recomputes everything (no load_date given). -#}
{% macro is_daily_load() -%}
    {{ return(run_value('load_date') is not none) }}
{%- endmacro %}

{% macro load_date_literal() -%}
    cast('{{ run_value("load_date") }}' as date)
{%- endmacro %}

{#- A daily load matches the records it delivers to earlier deliveries of the same key only
    among rows loaded within redelivery_lookback_days before its load date (or later), so
    its cost does not grow with history (see incremental_design). Always true otherwise. -#}
{% macro within_redelivery_lookback() -%}
    {%- if is_daily_load() -%}
        load_date >= {{ add_days(-var('redelivery_lookback_days'), load_date_literal()) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
