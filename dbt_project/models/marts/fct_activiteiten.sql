-- One row per prevention activity or knowledge session (the latest delivered version), placed in
-- the current organisation (int_activiteiten__geplaatst). Regional activities have no gemeente,
-- basisteam or district: they count for the region only.
with activiteiten as (
    select * from {{ ref('int_activiteiten__geplaatst') }}
)

select
    activiteit_sleutel::text as activiteit_sleutel,
    leverancier::text as leverancier,
    delivery_id::bigint as delivery_id,
    datum::date as datum,
    maand::date as maand,
    jaar::integer as jaar,
    kwartaal::integer as kwartaal,
    periode::text as periode,
    gemeentecode::text as gemeentecode,
    basisteam_code::text as basisteam_code,
    district::text as district,
    regionaal::boolean as regionaal,
    titel::text as titel,
    activiteittype::text as activiteittype,
    doelgroep::text as doelgroep,
    campagne::text as campagne,
    bereik::integer as bereik,
    deelnemers::integer as deelnemers,
    onderbouwd::boolean as onderbouwd
from activiteiten
