{#- dbt's get_where_subquery as this project does it (dbt dispatches to the root project first):
    what a generic data test reads of the relation it tests.

    Raw rows never change once loaded (a correction is a new delivery; retention removes whole
    deliveries). So when `infopositie build` builds after new deliveries and every row loaded
    before them passed these same tests under this same code, the tests on raw data need only the
    new deliveries' rows: it sets the session setting infopositie.te_testen_leveringen to their
    delivery_ids on dbt's connections (infopositie/dbt.py `deliveries_to_test`, `dbt_build`).
    A setting rather than a dbt var: a var that changes from build to build makes dbt parse the
    whole project again. Without the setting (a full build, the Airflow DAG, a changed project)
    every row is tested, as before. A test's own `where` config still applies. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set raw = relation.schema == 'raw' -%}
    {%- if where or raw -%}
        {%- set conditions = [where] if where else [] -%}
        {%- if raw -%}
            {#- Scalar subqueries: the setting is read and split once per query, not per row. #}
            {%- do conditions.append(
                "((select current_setting('infopositie.te_testen_leveringen', true) is null) or delivery_id = any("
                ~ "(select string_to_array(current_setting('infopositie.te_testen_leveringen', true), ',')::bigint[])::bigint[]))"
            ) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
