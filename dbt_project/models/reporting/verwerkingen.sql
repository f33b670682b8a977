-- The transformation runs for the deliveries dashboard and `infopositie platform status`: a view,
-- so it shows the run that just ended (its row is written by the on-run-end hook, after every
-- table of the run was built). Platform metadata only: names of models and tests, counts of them.
{{ config(materialized='view') }}

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
from {{ ref('int_leveringen__verwerkingen') }}
