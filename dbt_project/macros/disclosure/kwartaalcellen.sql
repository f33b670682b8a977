{#- The standard format of a quarterly reporting relation (lokaal_beeld_kwartaal and the
    relations next to it): one cell per gebied x quarter x breakdown value. Its cells add up
    along two hierarchies - gemeente -> basisteam -> district -> regio (gebied_key) and value ->
    categorie or total (waarde_key, each breakdown its own equation) - within one quarter. One
    definition, so that every such relation is protected over the same equations that the generic
    no_recoverable_cells test rebuilds from the published rows. -#}
{% macro kwartaal_hierarchieen() -%}
    {{ return([
        {'key': 'gebied_key', 'parent': 'gebied_ouder_key'},
        {'key': 'waarde_key', 'parent': 'waarde_ouder_key', 'split_by': ['uitsplitsing']},
    ]) }}
{%- endmacro %}


{#- suppress_cells over the standard equations of a quarterly relation; see suppress_cells for
    what it emits. -#}
{% macro suppress_kwartaalcellen(cells, name='beoordeeld') -%}
    {{ suppress_cells(cells, hierarchies=kwartaal_hierarchieen(), fixed=['jaar', 'kwartaal'], name=name) }}
{%- endmacro %}


{#- The columns that say which gebied a published row is about, typed as the reporting
    contracts declare them. `alias` is the table alias with its dot (e.g. 'h.'), or empty. -#}
{% macro gebied_kolommen(alias='') -%}
    {%- for kolom in ['niveau', 'gebied_code', 'gebied_naam', 'gemeentecode', 'basisteam_code', 'district'] %}
    {{ alias }}{{ kolom }}::text as {{ kolom }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- The columns that say which cell a row of a quarterly relation is: gebied, quarter and
    breakdown value, typed as the reporting contracts declare them. -#}
{% macro kwartaalcel_kolommen(alias='') -%}
    {{ gebied_kolommen(alias) }},
    {{ alias }}jaar::integer as jaar,
    {{ alias }}kwartaal::integer as kwartaal,
    {{ alias }}periode::text as periode,
    {{ alias }}uitsplitsing::text as uitsplitsing,
    {{ alias }}waarde::text as waarde
{%- endmacro %}
