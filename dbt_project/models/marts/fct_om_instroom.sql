-- One row per case entering the OM (current delivery per quarter), placed in the current
-- organisation like fct_registraties: a gemeente that is not one of the unit's current gemeenten
-- becomes "gemeente onbekend" (null), which counts for the region only.
with instroom as (
    select * from {{ ref('stg_om__instroom') }}
),

-- A case enters the OM once. Should the same parketnummer arrive in two quarters (staging warns
-- about it), the first instroom is the one that counts; a corrected row in a later delivery of
-- the same day wins over the older one.
zaken as (
    select
        *,
        row_number() over (
            partition by parketnummer_pseudoniem
            order by instroomdatum asc, delivery_id desc, regelnummer desc
        ) as volgorde
    from instroom
)

select
    z.parketnummer_pseudoniem::text as parketnummer_pseudoniem,
    z.delivery_id::bigint as delivery_id,
    z.leveringsperiode::text as leveringsperiode,
    z.instroomdatum::date as instroomdatum,
    z.instroommaand::date as maand,
    z.instroomjaar::integer as jaar,
    z.instroomkwartaal::integer as kwartaal,
    {{ kwartaal_label('z.instroomjaar', 'z.instroomkwartaal') }}::text as periode,
    g.gemeentecode::text as gemeentecode,
    g.basisteam_code::text as basisteam_code,
    g.district::text as district,
    z.categorie::text as categorie,
    z.feit::text as feit,
    z.beslissing::text as beslissing,
    z.beslisdatum::date as beslisdatum,
    (z.beslisdatum - z.instroomdatum)::integer as doorlooptijd_dagen
from zaken as z
{{ join_huidige_gemeente('z.gemeentecode', gemeenten=ref('dim_gemeente')) }}
where z.volgorde = 1
