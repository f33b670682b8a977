{{ config(materialized='table') }}

-- True counts of prevention activities and their reach per gebied x complete quarter (the
-- quarters of the local picture, so activities and registrations cover the same months) x value
-- of the breakdowns totaal, doelgroep and activiteittype, on a complete grid (0 activities where
-- none). Reach: activities without a known reach add nothing; a cell in which no activity has a
-- known reach has an unknown reach (null), never 0 - except a cell without activities, which
-- reached nobody. Regional activities count for the region only. Not for publication.
with activiteiten as (
    select * from {{ ref('fct_activiteiten') }}
),

kwartalen as (
    select jaar, kwartaal, periode
    from {{ ref('int_politie__kwartalen') }}
    where is_compleet
),

gebieden as (
    select * from {{ ref('int_reference__gebieden') }}
),

per_cel as (
    select
        g.gebied_key,
        a.jaar,
        a.kwartaal,
        u.uitsplitsing,
        u.waarde,
        count(*) as activiteiten,
        sum(a.bereik) as bereik
    from activiteiten as a
    join kwartalen as k on k.jaar = a.jaar and k.kwartaal = a.kwartaal
    cross join lateral (values
        ('gemeente:' || a.gemeentecode),
        ('basisteam:' || a.basisteam_code),
        ('district:' || a.district),
        ('regio:{{ var("regio_code") }}')
    ) as g (gebied_key)
    cross join lateral (values
        ('totaal', 'totaal'),
        ('doelgroep', a.doelgroep),
        ('activiteittype', a.activiteittype)
    ) as u (uitsplitsing, waarde)
    where g.gebied_key is not null
    group by 1, 2, 3, 4, 5
),

waarden as (
    select 'totaal' as uitsplitsing, 'totaal' as waarde
    union select 'doelgroep', doelgroep from activiteiten
    union select 'activiteittype', activiteittype from activiteiten
),

raster as (
    select g.*, k.jaar, k.kwartaal, k.periode, w.uitsplitsing, w.waarde
    from gebieden as g
    cross join kwartalen as k
    cross join waarden as w
)

select
    r.niveau,
    r.gebied_code,
    r.gebied_naam,
    r.gemeentecode,
    r.basisteam_code,
    r.district,
    r.gebied_key,
    r.gebied_ouder_key,
    r.jaar,
    r.kwartaal,
    r.periode,
    r.uitsplitsing,
    r.waarde,
    {{ uitsplitsing_key('r.uitsplitsing', 'r.waarde') }} as waarde_key,
    {{ uitsplitsing_ouder_key('r.uitsplitsing', 'r.waarde') }} as waarde_ouder_key,
    coalesce(p.activiteiten, 0)::integer as aantal,
    (case when p.activiteiten is null then 0 else p.bereik end)::integer as bereik
from raster as r
left join per_cel as p
    on p.gebied_key = r.gebied_key
   and p.jaar = r.jaar
   and p.kwartaal = r.kwartaal
   and p.uitsplitsing = r.uitsplitsing
   and p.waarde = r.waarde
