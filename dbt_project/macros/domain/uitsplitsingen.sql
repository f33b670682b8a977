{#- How the breakdowns (uitsplitsingen) of a reporting relation nest. Every breakdown adds up to
    the 'totaal' row, except modus (and fraudetype, the partners' name for the same values), which
    adds up to its categorie (which in turn adds up to the total). Returns the key (uitsplitsing:waarde) of the cell a breakdown cell adds up to, or null
    for the total itself. The disclosure control treats each "children add up to their parent"
    as an equation a hidden cell must not be recoverable from. -#}
{% macro uitsplitsing_key(uitsplitsing, waarde) -%}
    ({{ uitsplitsing }} || ':' || {{ waarde }})
{%- endmacro %}

{% macro uitsplitsing_ouder_key(uitsplitsing, waarde) -%}
    case
        when {{ uitsplitsing }} = 'totaal' then null
        when {{ uitsplitsing }} in ('modus', 'fraudetype') then 'categorie:' || {{ categorie_voor_modus(waarde) }}
        else 'totaal:totaal'
    end
{%- endmacro %}


{#- The breakdowns of the police counts (int_politie__tellingen_kwartaal), also fingerprinted per
    quarter by int_politie__kwartaal_stand. -#}
{% macro politie_uitsplitsingen() -%}
    {{ return(['categorie', 'modus', 'registratiesoort', 'leeftijdsklasse', 'slachtoffer_type']) }}
{%- endmacro %}
