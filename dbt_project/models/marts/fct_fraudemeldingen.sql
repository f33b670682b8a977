-- Fraud reports of the banks and the Fraudehelpdesk: one row per partner x month x gemeente x
-- fraudetype, placed in the current organisation. The partners deliver counts, not reports, so
-- this is the natural grain. Counts are true counts: marts are not for publication.
with meldingen as (
    select * from {{ ref('stg_bank__fraudemeldingen') }}
),

mapping as (
    select * from {{ ref('stg_reference__gemeentecode_mapping') }}
),

gemeenten as (
    select * from {{ ref('dim_gemeente') }}
),

geplaatst as (
    select
        f.*,
        g.gemeentecode as gemeentecode_huidig,
        g.basisteam_code,
        g.district
    from meldingen as f
    left join mapping as m on m.oude_code = f.gemeentecode
    left join gemeenten as g on g.gemeentecode = coalesce(m.nieuwe_code, f.gemeentecode)
)

-- After a future merger, rows of the merged gemeenten in an older delivery land on the same new
-- gemeente: added up, so that the grain holds.
select
    partner::text as partner,
    maand::date as maand,
    periode::text as periode_maand,
    jaar::integer as jaar,
    kwartaal::integer as kwartaal,
    {{ kwartaal_label('jaar', 'kwartaal') }}::text as periode,
    gemeentecode_huidig::text as gemeentecode,
    basisteam_code::text as basisteam_code,
    district::text as district,
    fraudetype::text as fraudetype,
    categorie::text as categorie,
    sum(meldingen)::integer as meldingen,
    sum(gedupeerden)::integer as gedupeerden,
    sum(schade_eur)::numeric(14, 2) as schade_eur,
    max(delivery_id)::bigint as delivery_id
from geplaatst
group by partner, maand, periode, jaar, kwartaal, gemeentecode_huidig, basisteam_code, district,
         fraudetype, categorie
