{#- Grain test for multi-column keys (no dbt_utils: the project runs without `dbt deps`). -#}
{% test unique_combination(model, combination) %}

with grouped as (

    select
        {{ combination | join(', ') }},
        count(*) as rows_per_key
    from {{ model }}
    group by {{ combination | join(', ') }}

)

select *
from grouped
where rows_per_key > 1

{% endtest %}
