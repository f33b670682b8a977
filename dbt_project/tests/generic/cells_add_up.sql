{#- Checks that the equations the disclosure control protects are real: for every parent cell,
    its children (same `fixed` columns, `parent_column` = the parent's `key_column`) add up to it,
    separately for each combination of the children's `split_by` columns (e.g. each breakdown).
    Where `inexact_parent` holds for the parent, the children may add up to less (the region
    also counts registrations with gemeente onbekend). Run on the true counts, before
    suppression. -#}
{% test cells_add_up(model, key_column, parent_column, fixed, split_by=[], count_column='aantal', inexact_parent='false') %}
{%- set group_columns = fixed + split_by %}
with kinderen as (
    select
        {{ parent_column }} as ouder_key,
        {% for column in group_columns %}{{ column }}, {% endfor %}
        sum({{ count_column }}) as som
    from {{ model }}
    where {{ parent_column }} is not null
    group by {{ parent_column }}{% for column in group_columns %}, {{ column }}{% endfor %}
)

select ouder.{{ key_column }}, {% for column in fixed %}ouder.{{ column }}, {% endfor %}
       {% for column in split_by %}k.{{ column }} as kind_{{ column }}, {% endfor %}
       ouder.{{ count_column }} as ouder_aantal, k.som as som_kinderen
from {{ model }} as ouder
join kinderen as k
    on k.ouder_key = ouder.{{ key_column }}
    {% for column in fixed %}and k.{{ column }} = ouder.{{ column }} {% endfor %}
where case when ({{ inexact_parent }}) then k.som > ouder.{{ count_column }}
           else k.som <> ouder.{{ count_column }} end
{% endtest %}
