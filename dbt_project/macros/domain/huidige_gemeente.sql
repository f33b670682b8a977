{#- Places a row in today's organisation: joins, as `alias`, the current gemeente (with its
    basisteam and district) that the delivered gemeentecode `code` stands for. Ingest maps merged
    codes when it loads; mapping again here keeps older deliveries right after a future merger
    without reloading them. A code that is not one of the unit's current gemeenten finds none:
    with join 'left' the row stays, without gemeente (it then counts for the region only), with
    join 'inner' it is left out. `gemeenten` is the relation of current gemeenten: the staging
    model by default, the conformed dim_gemeente in marts. -#}
{% macro join_huidige_gemeente(code, gemeenten=none, alias='g', join='left') -%}
    {%- set gemeenten = gemeenten or ref('stg_reference__gemeenten') -%}
    left join {{ ref('stg_reference__gemeentecode_mapping') }} as {{ alias }}_mapping
        on {{ alias }}_mapping.oude_code = {{ code }}
    {{ join }} join {{ gemeenten }} as {{ alias }}
        on {{ alias }}.gemeentecode = coalesce({{ alias }}_mapping.nieuwe_code, {{ code }})
{%- endmacro %}
