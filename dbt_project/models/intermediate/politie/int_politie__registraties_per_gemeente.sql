-- Each registration placed in the organisation: gemeente, basisteam, district. A registration
-- whose gemeente is unknown (or not one of the unit's current gemeenten) keeps its row with
-- gemeentecode null: it counts for the region, never for a gemeente, basisteam or district.
with registraties as (
    select * from {{ ref('stg_politie__registraties') }}
)

select
    r.registratie_pseudoniem,
    r.delivery_id,
    r.regelnummer,
    r.registratiedatum,
    r.registratiemaand,
    r.registratiejaar,
    r.registratiekwartaal,
    r.pleegdatum,
    r.gemeentecode as gemeentecode_geleverd,
    g.gemeentecode,
    g.gemeentenaam,
    g.basisteam_code,
    g.basisteam_naam,
    g.district,
    r.wijkcode,
    r.soort_misdrijf,
    r.incidentcode,
    r.modus,
    r.categorie,
    r.registratiesoort,
    r.slachtoffer_type,
    r.leeftijdsklasse,
    r.schadebedrag
from registraties as r
{{ join_huidige_gemeente('r.gemeentecode') }}
