-- Fraud reports of the banks and the Fraudehelpdesk: one row per partner x month x gemeente x
-- fraudetype, placed in the current organisation, for the mart and the counts alike. The
-- partners deliver counts, not reports, so this is the natural grain. A gemeente outside the unit
-- keeps its rows with gemeentecode empty.
with meldingen as (
    select * from {{ ref('stg_bank__fraudemeldingen') }}
),

geplaatst as (
    select
        f.*,
        g.gemeentecode as gemeentecode_huidig,
        g.basisteam_code,
        g.district
    from meldingen as f
    {{ join_huidige_gemeente('f.gemeentecode') }}
)

-- After a future merger, rows of the merged gemeenten in an older delivery land on the same new
-- gemeente: added up, so that the grain holds.
select
    partner,
    maand,
    periode as periode_maand,
    jaar,
    kwartaal,
    {{ kwartaal_label('jaar', 'kwartaal') }} as periode,
    gemeentecode_huidig as gemeentecode,
    basisteam_code,
    district,
    fraudetype,
    categorie,
    sum(meldingen) as meldingen,
    sum(gedupeerden) as gedupeerden,
    sum(schade_eur)::numeric(14, 2) as schade_eur,
    max(delivery_id) as delivery_id
from geplaatst
group by partner, maand, periode, jaar, kwartaal, gemeentecode_huidig, basisteam_code, district,
         fraudetype, categorie
