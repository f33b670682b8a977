-- CBS files have no delivery periods: every delivery stays current, and a newer file for the same
-- year and gemeente replaces the earlier figures (docs/sources/feeds/cbs.md), e.g. the definitive
-- population after the provisional one. The whole row is replaced, unknown values included.
with bevolking as (
    select * from {{ source('cbs', 'bevolking') }}
),

versies as (
    {{ versies_per_sleutel('bevolking', 'bevolking', ['r.jaar', 'r.gemeente']) }}
)

select
    jaar,
    gemeente as gemeentecode,
    inwoners,
    inwoners_15plus,
    delivery_id,
    line_number as regelnummer,
    aantal_leveringen
from versies
where versie = 1
