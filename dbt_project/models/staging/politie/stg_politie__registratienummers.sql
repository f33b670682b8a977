-- Which registration every raw row of every police delivery carries, nothing else: what the
-- incremental int_politie__registraties_per_gemeente looks up for the deliveries it has not seen.
-- A plain view, so a condition on delivery_id reaches the raw partitions.
select
    delivery_id,
    registratienummer_pseudoniem as registratie_pseudoniem
from {{ source('politie', 'registraties') }}
