{{ config(materialized='table') }}

-- True (unsuppressed) counts per gebied x complete quarter x breakdown value, on a complete grid:
-- every gebied, every complete quarter and every value that occurs, 0 where nothing happened.
-- The grid makes every "children add up to their parent" equation complete, which the
-- disclosure control in the reporting layer relies on. Not for publication: only the
-- transformer role can read the intermediate schema.
with registraties as (
    select * from {{ ref('int_politie__registraties_per_gemeente') }}
),

kwartalen as (
    select jaar, kwartaal, periode
    from {{ ref('int_politie__kwartalen') }}
    where is_compleet
),

gebieden as (
    select * from {{ ref('int_reference__gebieden') }}
),

-- One row per combination that occurs keeps the expansion below small.
combinaties as (
    select
        r.registratiejaar as jaar,
        r.registratiekwartaal as kwartaal,
        r.gemeentecode,
        r.basisteam_code,
        r.district,
        r.categorie,
        r.modus,
        r.registratiesoort,
        r.leeftijdsklasse,
        r.slachtoffer_type,
        count(*) as aantal
    from registraties as r
    join kwartalen as k on k.jaar = r.registratiejaar and k.kwartaal = r.registratiekwartaal
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
),

-- Every registration counts for its gemeente, basisteam and district when known, and always for
-- the region (also with gemeente onbekend).
per_gebied as (
    select c.*, g.gebied_key
    from combinaties as c
    cross join lateral (values
        ('gemeente:' || c.gemeentecode),
        ('basisteam:' || c.basisteam_code),
        ('district:' || c.district),
        ('regio:{{ var("regio_code") }}')
    ) as g (gebied_key)
    where g.gebied_key is not null
),

tellingen as (
    select p.gebied_key, p.jaar, p.kwartaal, u.uitsplitsing, u.waarde, sum(p.aantal) as aantal
    from per_gebied as p
    cross join lateral (values
        ('totaal', 'totaal'),
        ('categorie', p.categorie),
        ('modus', p.modus),
        ('registratiesoort', p.registratiesoort),
        ('leeftijdsklasse', p.leeftijdsklasse),
        ('slachtoffer_type', p.slachtoffer_type)
    ) as u (uitsplitsing, waarde)
    group by 1, 2, 3, 4, 5
),

-- The values of each breakdown: all that occur in any registration, so that every quarter and
-- gebied shows the same rows.
waarden as (
    select 'totaal' as uitsplitsing, 'totaal' as waarde
    union select 'categorie', categorie from registraties
    union select 'modus', modus from registraties
    union select 'registratiesoort', registratiesoort from registraties
    union select 'leeftijdsklasse', leeftijdsklasse from registraties
    union select 'slachtoffer_type', slachtoffer_type from registraties
),

raster as (
    select g.*, k.jaar, k.kwartaal, k.periode, w.uitsplitsing, w.waarde
    from gebieden as g
    cross join kwartalen as k
    cross join waarden as w
    where w.waarde is not null
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
    coalesce(t.aantal, 0)::integer as aantal
from raster as r
left join tellingen as t
    on t.gebied_key = r.gebied_key
   and t.jaar = r.jaar
   and t.kwartaal = r.kwartaal
   and t.uitsplitsing = r.uitsplitsing
   and t.waarde = r.waarde
