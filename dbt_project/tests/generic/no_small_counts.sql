{#- Fails for every row where a published count lies between 1 and disclosure_min_count - 1.
    Apply to every count column of every reporting model. -#}
{% test no_small_counts(model, column_name) %}
select {{ column_name }} as kleine_telling
from {{ model }}
where {{ column_name }} between 1 and {{ var('disclosure_min_count') - 1 }}
{% endtest %}
