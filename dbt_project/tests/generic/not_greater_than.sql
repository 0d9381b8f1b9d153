{#- A count never above another of the same row (a numerator above its denominator, e.g.
    fcr_resolved above fcr_eligible); rows where either is null pass. -#}
{% test not_greater_than(model, column_name, other_column) %}

-- whole rows, so a failure can name the row by its grain key
select *
from {{ model }}
where {{ column_name }} > {{ other_column }}

{% endtest %}
