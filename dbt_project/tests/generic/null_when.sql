{#- Fails for every row where `condition` holds but the column has a value; e.g. a rate must be
    empty when the count it is derived from is suppressed. -#}
{% test null_when(model, column_name, condition) %}
select {{ column_name }} as waarde
from {{ model }}
where ({{ condition }})
  and {{ column_name }} is not null
{% endtest %}
