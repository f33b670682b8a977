-- One row per prevention activity or knowledge session (the latest delivered version), placed in
-- the current organisation: the one place that maps an activity's gemeente to today's gemeente,
-- basisteam and district, for the mart and the counts alike. Regional activities (regio/
-- without gemeente) have no gemeente, basisteam or district: they count for the region only.
with activiteiten as (
    select * from {{ ref('stg_gemeente__activiteiten') }}
)

select
    a.activiteit_sleutel,
    a.leverancier,
    a.delivery_id,
    a.datum,
    a.maand,
    a.jaar,
    a.kwartaal,
    {{ kwartaal_label('a.jaar', 'a.kwartaal') }} as periode,
    g.gemeentecode,
    g.basisteam_code,
    g.district,
    a.regionaal,
    a.titel,
    a.activiteittype,
    a.doelgroep,
    a.campagne,
    a.bereik,
    a.deelnemers,
    a.onderbouwd
from activiteiten as a
{{ join_huidige_gemeente('a.gemeentecode') }}
