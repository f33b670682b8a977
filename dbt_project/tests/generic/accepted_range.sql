{#- Fails for every row whose value lies below min_value or above max_value (bounds included;
    either may be left out). A bound may be another column, e.g. gedupeerden up to meldingen.
    Empty values are left to not_null: unknown is not out of range. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error("accepted_range needs min_value, max_value or both") }}
{%- endif %}
select {{ column_name }} as waarde
from {{ model }}
where {{ column_name }} is not null
  and (
      {%- if min_value is not none %} {{ column_name }} < {{ min_value }}{% endif -%}
      {%- if min_value is not none and max_value is not none %} or{% endif -%}
      {%- if max_value is not none %} {{ column_name }} > {{ max_value }}{% endif %}
  )
{% endtest %}
