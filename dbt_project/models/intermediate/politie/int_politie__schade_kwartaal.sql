{{ kwartaal_incrementeel() }}
-- depends_on: {{ ref('int_politie__kwartaal_stand') }}

-- True damage (schadebedrag) per gebied x complete quarter x value of the breakdowns totaal,
-- categorie and modus, on the grid of int_politie__tellingen_kwartaal (same rows, so that every
-- amount sits next to the registration count it belongs to). Besides the sum: how many
-- registrations had a damage above 0 and the largest single amount, which the reporting layer
-- needs to judge whether an amount can be shown. Not for publication. Built per quarter
-- (macros/platform/kwartalen.sql).
with registraties as (
    select * from {{ ref('int_politie__registraties_per_gemeente') }}
    where schadebedrag > 0
    {%- if is_incremental() %}
        and (registratiejaar, registratiekwartaal) in {{ te_bouwen_kwartalen() }}
    {%- endif %}
),

raster as (
    select * from {{ ref('int_politie__tellingen_kwartaal') }}
    where uitsplitsing in ('totaal', 'categorie', 'modus')
    {%- if is_incremental() %}
        and (jaar, kwartaal) in {{ te_bouwen_kwartalen() }}
    {%- endif %}
),

-- Like the counts: a registration counts for its gemeente, basisteam and district when known,
-- and always for the region.
per_gebied as (
    {{ per_gebied('registraties') }}
),

per_cel as (
    select
        p.gebied_key,
        p.registratiejaar as jaar,
        p.registratiekwartaal as kwartaal,
        {{ uitsplitsing_key('u.uitsplitsing', 'u.waarde') }} as waarde_key,
        count(*) as aantal_met_schade,
        sum(p.schadebedrag) as schade_eur,
        max(p.schadebedrag) as grootste_schade_eur
    from per_gebied as p
    {{ per_uitsplitsing('p', ['categorie', 'modus']) }}
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
