{{ config(materialized='table') }}

-- True counts of the partners' fraud reports per gebied x quarter x value of the breakdowns
-- totaal, categorie and fraudetype (which adds up to its categorie), on a complete grid (0 where
-- nothing was reported). Not for publication.
--
-- Quarters: those of the local picture (all three police months delivered) in which every partner
-- that delivered for the quarter delivered all three months; a partner's missing month would
-- otherwise read as a fall. Rows of a gemeente outside the unit (gemeentecode empty in the mart)
-- belong to no gebied of Midden-Nederland, so the region is exactly the sum of its districts.
with meldingen as (
    select * from {{ ref('fct_fraudemeldingen') }}
    where gemeentecode is not null
),

leveringen as (
    select distinct partner, substr(periode, 1, 4)::integer as jaar,
           (substr(periode, 6, 2)::integer - 1) / 3 + 1 as kwartaal, periode
    from {{ ref('stg_audit__deliveries') }}
    where feed = 'fraudemeldingen'
      and is_actueel
      and periode ~ '^[0-9]{4}-[0-9]{2}$'
),

partner_kwartalen as (
    select jaar, kwartaal, partner, count(*) as maanden
    from leveringen
    group by 1, 2, 3
),

kwartalen as (
    select k.jaar, k.kwartaal, k.periode
    from {{ ref('int_politie__kwartalen') }} as k
    join partner_kwartalen as p on p.jaar = k.jaar and p.kwartaal = k.kwartaal
    where k.is_compleet
    group by k.jaar, k.kwartaal, k.periode
    having bool_and(p.maanden = 3)
),

gebieden as (
    select * from {{ ref('int_reference__gebieden') }}
),

per_cel as (
    select
        g.gebied_key,
        m.jaar,
        m.kwartaal,
        u.uitsplitsing,
        u.waarde,
        sum(m.meldingen) as meldingen,
        sum(m.gedupeerden) as gedupeerden,
        sum(m.schade_eur) as schade_eur
    from meldingen as m
    cross join lateral (values
        ('gemeente:' || m.gemeentecode),
        ('basisteam:' || m.basisteam_code),
        ('district:' || m.district),
        ('regio:{{ var("regio_code") }}')
    ) as g (gebied_key)
    cross join lateral (values
        ('totaal', 'totaal'),
        ('categorie', m.categorie),
        ('fraudetype', m.fraudetype)
    ) as u (uitsplitsing, waarde)
    where g.gebied_key is not null
    group by 1, 2, 3, 4, 5
),

waarden as (
    select 'totaal' as uitsplitsing, 'totaal' as waarde
    union select 'categorie', categorie from meldingen
    union select 'fraudetype', fraudetype from meldingen
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
    r.inwoners,
    r.jaar,
    r.kwartaal,
    r.periode,
    r.uitsplitsing,
    r.waarde,
    {{ uitsplitsing_key('r.uitsplitsing', 'r.waarde') }} as waarde_key,
    {{ uitsplitsing_ouder_key('r.uitsplitsing', 'r.waarde') }} as waarde_ouder_key,
    coalesce(p.meldingen, 0)::integer as aantal,
    coalesce(p.gedupeerden, 0)::integer as gedupeerden,
    coalesce(p.schade_eur, 0)::numeric(14, 2) as schade_eur
from raster as r
left join per_cel as p
    on p.gebied_key = r.gebied_key
   and p.jaar = r.jaar
   and p.kwartaal = r.kwartaal
   and p.uitsplitsing = r.uitsplitsing
   and p.waarde = r.waarde
