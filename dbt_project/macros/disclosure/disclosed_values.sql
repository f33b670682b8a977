{#- What a reporting relation shows for a cell, given its count and `onderdrukking` from
    suppress_cells. Every published count, label and derived figure goes through these, so a
    suppressed count can never leak through a rate, a percentage or a label. -#}

{#- The count as published: null when suppressed (never 0). -#}
{% macro disclosed_count(aantal, onderdrukking) -%}
    (case when {{ onderdrukking }} is null then {{ aantal }} end)
{%- endmacro %}

{#- The count as text for documents: '<5' for a small count, 'x' for a cell hidden to protect
    another one, else the number. -#}
{% macro disclosed_label(aantal, onderdrukking) -%}
    (case
        when {{ onderdrukking }} = 'primair' then '<{{ var("disclosure_min_count") }}'
        when {{ onderdrukking }} = 'secundair' then 'x'
        else ({{ aantal }})::text
    end)
{%- endmacro %}

{#- A rate derived from a disclosed count (pass disclosed_count(...), not the raw count): null
    when the count is suppressed or the denominator is unknown or zero. -#}
{% macro disclosed_rate(disclosed_aantal, noemer, per=10000, decimalen=2) -%}
    round(({{ disclosed_aantal }})::numeric * {{ per }} / nullif({{ noemer }}, 0), {{ decimalen }})
{%- endmacro %}

{#- An amount (euros) that belongs to a cell judged by suppress_cells: null when suppressed,
    else rounded to whole euros (cents suggest a precision the partners' figures do not have). -#}
{% macro disclosed_amount(bedrag, onderdrukking) -%}
    (case when {{ onderdrukking }} is null then round({{ bedrag }}) end)
{%- endmacro %}

{#- The amount as text for documents: 'x' for any hidden amount (there is no '<5' for euros: what
    hides an amount is the number of victims behind it or one victim dominating it). -#}
{% macro disclosed_amount_label(bedrag, onderdrukking) -%}
    (case when {{ onderdrukking }} is not null then 'x' else round({{ bedrag }})::text end)
{%- endmacro %}
