{#- Post-hook of every model: a table (or incremental table) gets its planner statistics right
    after it is built. The models after it in the same build read it at once, before autovacuum
    (if it runs at all) has looked at it; without statistics Postgres guesses a few hundred rows
    for a table of hundreds of thousands and picks plans that compare every cell of one quarter
    with every cell of another (measured with `infopositie bench scale`: 648 s for
    int_fraude__tellingen_kwartaal). Views have no statistics of their own: nothing to do. -#}
{% macro analyze_relation(relation) -%}
    {%- if execute and model.config.materialized in ['table', 'incremental'] -%}
        analyze {{ relation }}
    {%- endif -%}
{%- endmacro %}
