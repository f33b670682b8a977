{{ config(materialized='table') }}

-- True counts of the RIEC cases that touch each gebied, per complete quarter of the local picture,
-- from the case history (int_riec__casus_fasen): the cases that were running (phase signaal,
-- casusverkenning or casus) on the quarter's last snapshot, by phase and by online component.
-- A case touches the gemeenten it names (merged codes mapped to the current gemeente), their
-- basisteams, its own district and the region. A case with two gemeenten counts once for each and
-- once for a basisteam they share, so the gebied counts are not sums of each other (the counts
-- per value are). Complete grid: 0 where no case runs. Not for publication.
with fasen as (
    select * from {{ ref('int_riec__casus_fasen') }}
),

peildata as (
    select distinct peildatum from {{ ref('stg_riec__casussen') }}
),

kwartalen as (
    select k.jaar, k.kwartaal, k.periode, max(p.peildatum) as peildatum
    from {{ ref('int_politie__kwartalen') }} as k
    join peildata as p
        on extract(year from p.peildatum) = k.jaar
       and extract(quarter from p.peildatum) = k.kwartaal
    where k.is_compleet
    group by k.jaar, k.kwartaal, k.periode
),

lopend as (
    select
        k.jaar,
        k.kwartaal,
        f.casus_pseudoniem,
        f.fase,
        f.district,
        f.gemeentecodes,
        case when f.online_component then 'met online component' else 'zonder online component' end as online
    from kwartalen as k
    join fasen as f
        on f.geldig_van <= k.peildatum
       and (f.geldig_tot is null or f.geldig_tot > k.peildatum)
    where f.fase in ('signaal', 'casusverkenning', 'casus')
),

gemeenten as (
    select l.*, g.gemeentecode, g.basisteam_code
    from lopend as l
    cross join lateral unnest(l.gemeentecodes) as u (code)
    left join {{ ref('stg_reference__gemeentecode_mapping') }} as m on m.oude_code = u.code
    join {{ ref('stg_reference__gemeenten') }} as g on g.gemeentecode = coalesce(m.nieuwe_code, u.code)
),

-- Each case once per gebied it touches.
per_gebied as (
    select 'gemeente:' || gemeentecode as gebied_key, jaar, kwartaal, casus_pseudoniem, fase, online from gemeenten
    union
    select 'basisteam:' || basisteam_code, jaar, kwartaal, casus_pseudoniem, fase, online from gemeenten
    union
    select 'district:' || district, jaar, kwartaal, casus_pseudoniem, fase, online from lopend
    union
    select 'regio:{{ var("regio_code") }}', jaar, kwartaal, casus_pseudoniem, fase, online from lopend
),

tellingen as (
    select p.gebied_key, p.jaar, p.kwartaal, u.uitsplitsing, u.waarde, count(*) as aantal
    from per_gebied as p
    cross join lateral (values
        ('totaal', 'totaal'),
        ('fase', p.fase),
        ('online_component', p.online)
    ) as u (uitsplitsing, waarde)
    group by 1, 2, 3, 4, 5
),

-- Every value, also when no case has it now, so every quarter and gebied shows the same rows.
waarden as (
    select * from (values
        ('totaal', 'totaal'),
        ('fase', 'signaal'),
        ('fase', 'casusverkenning'),
        ('fase', 'casus'),
        ('online_component', 'met online component'),
        ('online_component', 'zonder online component')
    ) as w (uitsplitsing, waarde)
),

raster as (
    select g.*, k.jaar, k.kwartaal, k.periode, k.peildatum, w.uitsplitsing, w.waarde
    from {{ ref('int_reference__gebieden') }} as g
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
    r.peildatum,
    r.uitsplitsing,
    r.waarde,
    {{ uitsplitsing_key('r.uitsplitsing', 'r.waarde') }} as waarde_key,
    {{ uitsplitsing_ouder_key('r.uitsplitsing', 'r.waarde') }} as waarde_ouder_key,
    coalesce(t.aantal, 0)::integer as aantal
from raster as r
left join tellingen as t
    on t.gebied_key = r.gebied_key
   and t.jaar = r.jaar
   and t.kwartaal = r.kwartaal
   and t.uitsplitsing = r.uitsplitsing
   and t.waarde = r.waarde
