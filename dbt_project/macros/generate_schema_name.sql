{#- The layer schemas (staging, intermediate, marts, reporting) are fixed by the warehouse
    migrations, which also set their grants; dbt must use them as named, not as
    <target_schema>_<custom_schema> (dbt's default). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
