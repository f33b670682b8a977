{#- Quarter label used by every reporting relation: 2026-Q1. -#}
{% macro kwartaal_label(jaar, kwartaal) -%}
    ({{ jaar }}::text || '-Q' || {{ kwartaal }}::text)
{%- endmacro %}

{#- Change in percent against an earlier value; unknown (null) when either value is unknown or
    zero, because a change from or to nothing is not a percentage a reader can use. Feed it
    disclosed values only, so that it never reveals a suppressed count. -#}
{% macro verandering_pct(huidig, vorig) -%}
    case
        when {{ huidig }} is null or {{ vorig }} is null or {{ huidig }} = 0 or {{ vorig }} = 0 then null
        else round(100.0 * ({{ huidig }} - {{ vorig }}) / {{ vorig }}, 1)
    end
{%- endmacro %}
