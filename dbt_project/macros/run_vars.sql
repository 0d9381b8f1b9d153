{#- The two run variables. Both come from the run (ccpipe run --date/--as-of, the DAG's
    logical time), never from the wall clock, so a rerun gives the same numbers. -#}

{% macro as_of_timestamp() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is none or as_of == '' -%}
        cast(null as {{ dbt.type_timestamp() }} with time zone)
    {%- else -%}
        cast('{{ as_of }}' as {{ dbt.type_timestamp() }} with time zone)
    {%- endif -%}
{%- endmacro %}

{#- True when this build processes one load (incremental daily run), false when it
    recomputes everything (no load_date given). -#}
{% macro is_daily_load() -%}
    {%- set load_date = var('load_date', none) -%}
    {{ return(load_date is not none and load_date != '') }}
{%- endmacro %}

{% macro load_date_literal() -%}
    cast('{{ var("load_date") }}' as date)
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
