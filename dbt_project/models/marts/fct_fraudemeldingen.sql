-- Fraud reports of the banks and the Fraudehelpdesk: one row per partner x month x gemeente x
-- fraudetype, placed in the current organisation (int_fraude__meldingen_geplaatst). Counts are
-- true counts: marts are not for publication.
with meldingen as (
    select * from {{ ref('int_fraude__meldingen_geplaatst') }}
)

select
    partner::text as partner,
    maand::date as maand,
    periode_maand::text as periode_maand,
    jaar::integer as jaar,
    kwartaal::integer as kwartaal,
    periode::text as periode,
    gemeentecode::text as gemeentecode,
    basisteam_code::text as basisteam_code,
    district::text as district,
    fraudetype::text as fraudetype,
    categorie::text as categorie,
    meldingen::integer as meldingen,
    gedupeerden::integer as gedupeerden,
    schade_eur::numeric(14, 2) as schade_eur,
    delivery_id::bigint as delivery_id
from meldingen
