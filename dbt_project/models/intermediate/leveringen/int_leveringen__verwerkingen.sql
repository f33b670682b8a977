-- Every dbt invocation that built, newest first in use: what the transformation did with the
-- deliveries, and what it could not build.
select
    aanroep_id,
    opdracht,
    selectie,
    begonnen_op,
    klaar_op,
    status,
    geslaagd,
    mislukt,
    overgeslagen,
    mislukte_onderdelen
from {{ ref('stg_audit__dbt_runs') }}
