{#- The one definition of a reporting date: the calendar date of an instant in
    var('reporting_timezone') (default UTC). Instants are stored as UTC timestamps. -#}
{% macro to_reporting_date(instant) -%}
    {{ return(adapter.dispatch('to_reporting_date', 'ccpipe')(instant)) }}
{%- endmacro %}

{% macro default__to_reporting_date(instant) -%}
    cast(({{ instant }}) at time zone '{{ var("reporting_timezone") }}' as date)
{%- endmacro %}

{#- Monday of the week holding a date (ISO weeks). -#}
{% macro week_start(date_expr) -%}
    cast({{ dbt.date_trunc('week', date_expr) }} as date)
{%- endmacro %}

{#- A date shifted by whole days, still a date. -#}
{% macro add_days(days, date_expr) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{#- A tiny inline relation of day offsets 0..n, for expanding a date set into a window
    (bounded reads instead of scanning history). -#}
{% macro day_offsets(n) -%}
    {%- for offset in range(n + 1) %}
    select {{ offset }} as day_offset{% if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Whether a reporting date's own feeds were loaded (int_dates_loaded): a daily mart row on a
    date that was not holds only what other dates' files delivered. -#}
{% macro is_date_loaded(date_column) -%}
    {#- the loaded dates renamed, so an unqualified date_column names the caller's row -#}
    exists (
        select 1
        from (
            select loaded.reporting_date as loaded_date
            from {{ ref('int_dates_loaded') }} as loaded
        ) as dates_loaded
        where dates_loaded.loaded_date = {{ date_column }}
    )
{%- endmacro %}
