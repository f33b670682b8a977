{#
  on-run-end: one row in audit.dbt_runs per invocation that builds (warehouse/migrations/V008).
  Only names of nodes from the project and counts are written, never a value from the data.
  A failed data test skips only what depends on it (dbt build's own behaviour); this row makes the
  failure visible to `infopositie platform status` and to reporting.verwerkingen.
#}
{% macro record_dbt_run(results) %}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'seed') -%}
        {%- set failed = [] -%}
        {%- set counts = {'ok': 0, 'skipped': 0} -%}
        {%- for result in results -%}
            {%- if result.status in ('error', 'fail', 'runtime error') -%}
                {#- A test by the model it checks: long test names are shortened to a hash. -#}
                {%- set node = result.node -%}
                {%- if node.resource_type == 'test' and node.attached_node -%}
                    {%- do failed.append(node.attached_node.split('.')[-1] ~ ': ' ~ node.name) -%}
                {%- else -%}
                    {%- do failed.append(node.name) -%}
                {%- endif -%}
            {%- elif result.status == 'skipped' -%}
                {%- do counts.update({'skipped': counts['skipped'] + 1}) -%}
            {%- else -%}
                {%- do counts.update({'ok': counts['ok'] + 1}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set selection = (flags.SELECT | join(' ')) if flags.SELECT else none -%}
        insert into audit.dbt_runs (
            invocation_id, command, selection, started_at, status,
            nodes_ok, nodes_failed, nodes_skipped, failed_nodes
        ) values (
            '{{ invocation_id }}',
            '{{ flags.WHICH }}',
            {{ "'" ~ (selection | replace("'", "''")) ~ "'" if selection else 'null' }},
            '{{ run_started_at }}'::timestamptz,
            '{{ 'mislukt' if failed else 'geslaagd' }}',
            {{ counts['ok'] }},
            {{ failed | length }},
            {{ counts['skipped'] }},
            array[{%- for name in failed -%}'{{ name }}'{{ ',' if not loop.last }}{%- endfor -%}]::text[]
        )
        on conflict (invocation_id) do nothing
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}
