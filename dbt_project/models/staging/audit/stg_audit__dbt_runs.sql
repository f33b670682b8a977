-- The transformation's own log (one row per dbt invocation that builds), with Dutch column names.
with runs as (
    select * from {{ source('audit', 'dbt_runs') }}
)

select
    invocation_id as aanroep_id,
    command as opdracht,
    selection as selectie,
    started_at as begonnen_op,
    finished_at as klaar_op,
    status,
    nodes_ok as geslaagd,
    nodes_failed as mislukt,
    nodes_skipped as overgeslagen,
    failed_nodes as mislukte_onderdelen
from runs
