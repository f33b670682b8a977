{#- Fails for every combination of the columns that occurs more than once: the grain of a model
    that has no single key column. Empty values count as a value, so two rows that differ only
    by being empty are duplicates too. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as aantal
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
