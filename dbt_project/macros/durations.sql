{#- Seconds from one instant to a later one, keeping fractions of a second where the
    warehouse can (dbt.datediff counts whole boundaries, which would turn 4.6 s into 5). -#}
{% macro seconds_between(start_instant, end_instant) -%}
    {{ return(adapter.dispatch('seconds_between', 'ccpipe')(start_instant, end_instant)) }}
{%- endmacro %}

{% macro default__seconds_between(start_instant, end_instant) -%}
    cast({{ dbt.datediff(start_instant, end_instant, 'second') }} as double precision)
{%- endmacro %}

{% macro duckdb__seconds_between(start_instant, end_instant) -%}
    (epoch({{ end_instant }}) - epoch({{ start_instant }}))
{%- endmacro %}
