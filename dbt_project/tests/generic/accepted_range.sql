{#- Values of a column within [min_value, max_value], both ends included; nulls pass (a null
    rate means "no sample", not a bad value). dbt_utils has one too, but the project runs
    without `dbt deps`. -#}
{% test accepted_range(model, column_name, min_value, max_value) %}

-- whole rows, so a failure can name the row by its grain key
select *
from {{ model }}
where {{ column_name }} < {{ min_value }}
    or {{ column_name }} > {{ max_value }}

{% endtest %}
