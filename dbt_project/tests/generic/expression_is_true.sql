{#- Fails for every row where the SQL expression does not hold. An expression that yields null
    fails too: write the exception out (`einddatum is null or einddatum >= startdatum`), so that
    a rule never passes by accident on missing values. -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
