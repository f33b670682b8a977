{{ kwartaal_incrementeel(per='jaar') }}
-- depends_on: {{ ref('int_politie__kwartaal_stand') }}

-- True (unsuppressed) numbers of registrations per gebied, year and victim group, counted over the
-- complete quarters of the year: the same quarters lokaal_beeld_kwartaal reports, so that a year
-- here is exactly the sum of its quarters there (reporting.interventie_fit relies on that to keep
-- the two relations from revealing each other's hidden cells). Complete grid: every gebied, year
-- and group, 0 where nothing happened. Not for publication. An incremental build recomputes only
-- the years with a quarter whose input changed (macros/platform/kwartalen.sql).
--   totaal      every registration
--   65+         leeftijdsklasse 65+
--   onder 25    leeftijdsklasse 0-17 or 18-24
--   ondernemer  slachtoffer_type ondernemer
with registraties as (
    select * from {{ ref('int_politie__registraties_per_gemeente') }}
),

kwartalen as (
    select jaar, kwartaal
    from {{ ref('int_politie__kwartalen') }}
    where is_compleet
    {%- if is_incremental() %}
        and jaar in (select g.jaar from {{ te_bouwen_kwartalen() }} as g)
    {%- endif %}
),

jaren as (
    select
        jaar,
        count(*)::integer as kwartalen,
        case
            when count(*) = 4 then jaar::text
            else jaar::text || ' (' || string_agg('Q' || kwartaal, ', ' order by kwartaal) || ')'
        end as periode
    from kwartalen
    group by jaar
),

gebieden as (
    select * from {{ ref('int_reference__gebieden') }}
),

groepen as (
    select groep from (values ('totaal'), ('65+'), ('onder 25'), ('ondernemer')) as g (groep)
),

in_groep as (
    select r.registratiejaar as jaar, r.gemeentecode, r.basisteam_code, r.district, g.groep
    from registraties as r
    join kwartalen as k on k.jaar = r.registratiejaar and k.kwartaal = r.registratiekwartaal
    cross join lateral (values
        ('totaal'),
        (case when r.leeftijdsklasse = '65+' then '65+' end),
        (case when r.leeftijdsklasse in ('0-17', '18-24') then 'onder 25' end),
        (case when r.slachtoffer_type = 'ondernemer' then 'ondernemer' end)
    ) as g (groep)
    where g.groep is not null
),

-- Every registration counts for its gemeente, basisteam and district when known, and always for
-- the region (also with gemeente onbekend), as in int_politie__tellingen_kwartaal.
per_gebied as (
    {{ per_gebied('in_groep') }}
),

tellingen as (
    select jaar, groep, gebied_key, count(*) as aantal
    from per_gebied
    group by 1, 2, 3
)

select
    gb.niveau,
    gb.gebied_code,
    gb.gebied_naam,
    gb.gemeentecode,
    gb.basisteam_code,
    gb.district,
    gb.gebied_key,
    gb.gebied_ouder_key,
    j.jaar,
    j.kwartalen,
    j.periode,
    g.groep,
    coalesce(p.aantal, 0)::integer as aantal
from gebieden as gb
cross join jaren as j
cross join groepen as g
left join tellingen as p
    on p.gebied_key = gb.gebied_key
   and p.jaar = j.jaar
   and p.groep = g.groep
