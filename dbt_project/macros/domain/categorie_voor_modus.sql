{#- The year plan counts two kinds of online crime separately. The feed spec
    (docs/sources/feeds/politie_registraties.md) decides by modus: ransomware, hacken and ddos are
    cybercrime (ICT is both means and target); every other modus is gedigitaliseerde
    criminaliteit (ICT is only the means). One macro, so that every feed and every breakdown
    classifies the same way. -#}
{% macro cybercrime_modi() -%}
    {{ return(['ransomware', 'hacken', 'ddos']) }}
{%- endmacro %}

{% macro categorie_voor_modus(modus) -%}
    case
        when {{ modus }} is null then null
        when {{ modus }} in ('{{ cybercrime_modi() | join("', '") }}') then 'cybercrime'
        else 'gedigitaliseerde criminaliteit'
    end
{%- endmacro %}
