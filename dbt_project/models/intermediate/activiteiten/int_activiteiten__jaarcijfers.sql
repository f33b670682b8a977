-- Year-plan figures from the activities of the gemeenten and the regional programme, for every
-- year in which any activity was delivered (a year with activities but none of a kind counts 0):
--   kennisbijeenkomsten       activities of type kennisbijeenkomst (goal 3)
--   actiedag_activiteiten     activities of type actiedag in the campaign #EchtNietVandaag (goal 5)
--   echt_nep_bereik_senioren  people reached by the campaign Echt-Nep among doelgroep senioren (goal 5)
-- Campaign names are free text in the feed: compared trimmed and case-insensitively.
with activiteiten as (
    -- The one place that names the staging columns.
    select
        jaar,
        activiteittype,
        doelgroep,
        lower(trim(campagne)) as campagne,
        bereik
    from {{ ref('stg_gemeente__activiteiten') }}
),

per_jaar as (
    select
        jaar,
        count(*) filter (where activiteittype = 'kennisbijeenkomst') as kennisbijeenkomsten,
        count(*) filter (where activiteittype = 'actiedag' and campagne = lower('#EchtNietVandaag'))
            as actiedag_activiteiten,
        count(*) filter (where campagne = lower('Echt-Nep') and doelgroep = 'senioren') as echt_nep_activiteiten,
        -- Activities without a known reach add nothing; when none of them has one, the reach is unknown.
        sum(bereik) filter (where campagne = lower('Echt-Nep') and doelgroep = 'senioren') as echt_nep_bereik
    from activiteiten
    group by jaar
)

select 'kennisbijeenkomsten' as indicator, jaar, kennisbijeenkomsten::numeric as realisatie from per_jaar
union all
select 'actiedag_activiteiten', jaar, actiedag_activiteiten::numeric from per_jaar
union all
select
    'echt_nep_bereik_senioren',
    jaar,
    (case when echt_nep_activiteiten = 0 then 0 else echt_nep_bereik end)::numeric
from per_jaar
