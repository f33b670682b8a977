-- One row per prevention activity or knowledge session (the latest delivered version), placed in
-- the current organisation. Regional activities (regio/ without gemeente) have no gemeente,
-- basisteam or district: they count for the region only.
with activiteiten as (
    select * from {{ ref('stg_gemeente__activiteiten') }}
),

mapping as (
    select * from {{ ref('stg_reference__gemeentecode_mapping') }}
),

gemeenten as (
    select * from {{ ref('dim_gemeente') }}
)

select
    a.activiteit_sleutel::text as activiteit_sleutel,
    a.leverancier::text as leverancier,
    a.delivery_id::bigint as delivery_id,
    a.datum::date as datum,
    a.maand::date as maand,
    a.jaar::integer as jaar,
    a.kwartaal::integer as kwartaal,
    {{ kwartaal_label('a.jaar', 'a.kwartaal') }}::text as periode,
    g.gemeentecode::text as gemeentecode,
    g.basisteam_code::text as basisteam_code,
    g.district::text as district,
    a.regionaal::boolean as regionaal,
    a.titel::text as titel,
    a.activiteittype::text as activiteittype,
    a.doelgroep::text as doelgroep,
    a.campagne::text as campagne,
    a.bereik::integer as bereik,
    a.deelnemers::integer as deelnemers,
    a.onderbouwd::boolean as onderbouwd
from activiteiten as a
left join mapping as m on m.oude_code = a.gemeentecode
left join gemeenten as g on g.gemeentecode = coalesce(m.nieuwe_code, a.gemeentecode)
