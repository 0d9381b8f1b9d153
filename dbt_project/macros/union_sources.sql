{#- The rows of every source of one entity in one shape: `columns` selected from each of the
    CTEs `sources` names, in order, with a column `source` naming the CTE (the source that
    delivered the row). -#}
{% macro union_sources(columns, sources) -%}
    {%- for cte in sources %}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        '{{ cte }}' as source

    from {{ cte }}
    {%- if not loop.last %}

    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}
