{{ config(materialized='table') }}

-- True damage (schadebedrag) per gebied x complete quarter x value of the breakdowns totaal,
-- categorie and modus, on the grid of int_politie__tellingen_kwartaal (same rows, so that every
-- amount sits next to the registration count it belongs to). Besides the sum: how many
-- registrations had a damage above 0 and the largest single amount, which the reporting layer
-- needs to judge whether an amount can be shown. Not for publication.
with registraties as (
    select * from {{ ref('int_politie__registraties_per_gemeente') }}
    where schadebedrag > 0
),

raster as (
    select * from {{ ref('int_politie__tellingen_kwartaal') }}
    where uitsplitsing in ('totaal', 'categorie', 'modus')
),

-- Like the counts: a registration counts for its gemeente, basisteam and district when known,
-- and always for the region.
per_cel as (
    select
        g.gebied_key,
        r.registratiejaar as jaar,
        r.registratiekwartaal as kwartaal,
        u.waarde_key,
        count(*) as aantal_met_schade,
        sum(r.schadebedrag) as schade_eur,
        max(r.schadebedrag) as grootste_schade_eur
    from registraties as r
    cross join lateral (values
        ('gemeente:' || r.gemeentecode),
        ('basisteam:' || r.basisteam_code),
        ('district:' || r.district),
        ('regio:{{ var("regio_code") }}')
    ) as g (gebied_key)
    cross join lateral (values
        ({{ uitsplitsing_key("'totaal'", "'totaal'") }}),
        ({{ uitsplitsing_key("'categorie'", 'r.categorie') }}),
        ({{ uitsplitsing_key("'modus'", 'r.modus') }})
    ) as u (waarde_key)
    where g.gebied_key is not null
    group by 1, 2, 3, 4
)

select
    t.niveau,
    t.gebied_code,
    t.gebied_naam,
    t.gemeentecode,
    t.basisteam_code,
    t.district,
    t.gebied_key,
    t.gebied_ouder_key,
    t.jaar,
    t.kwartaal,
    t.periode,
    t.uitsplitsing,
    t.waarde,
    t.waarde_key,
    t.waarde_ouder_key,
    t.aantal as aantal_registraties,
    coalesce(p.aantal_met_schade, 0)::integer as aantal_met_schade,
    coalesce(p.schade_eur, 0)::numeric(14, 2) as schade_eur,
    p.grootste_schade_eur::numeric(14, 2) as grootste_schade_eur
from raster as t
left join per_cel as p
    on p.gebied_key = t.gebied_key
   and p.jaar = t.jaar
   and p.kwartaal = t.kwartaal
   and p.waarde_key = t.waarde_key
