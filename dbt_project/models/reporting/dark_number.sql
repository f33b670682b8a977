-- The dark number per year for the whole unit: how many online victims the survey estimates
-- (CBS slachtofferschap for RE09 x inhabitants of 15+) against how many registrations the police
-- made, as a registration rate (registrations / estimated victims) with the survey's 95% interval
-- carried through. Unknown stays unknown: any missing input leaves the figures that need it empty,
-- never 0.
--
-- The registrations are the year as lokaal_beeld_kwartaal published it for the region: the sum of
-- its four quarter totals, only when all four are complete and shown. Deriving the year from
-- published cells adds nothing a reader could not already add up, so this relation can never
-- reveal a hidden cell.
with schatting as (
    select * from {{ ref('int_darknumber__slachtofferschatting') }}
),

registraties as (
    select
        jaar,
        case when count(*) = 4 and bool_and(not onderdrukt) then sum(aantal) end as aantal_registraties
    from {{ ref('lokaal_beeld_kwartaal') }}
    where niveau = 'regio'
      -- The survey estimate is for our own unit (CBS RE09): only its region row, also in a
      -- warehouse that holds other units beside it.
      and gebied_code = '{{ var("regio_code") }}'
      and uitsplitsing = 'totaal'
    group by jaar
),

jaren as (
    select jaar from schatting
    union
    select jaar from registraties
),

samen as (
    select
        j.jaar,
        s.bron,
        s.slachtofferschap_pct,
        s.slachtofferschap_ondergrens_pct,
        s.slachtofferschap_bovengrens_pct,
        s.inwoners_15plus,
        s.geschatte_slachtoffers,
        s.geschatte_slachtoffers_ondergrens,
        s.geschatte_slachtoffers_bovengrens,
        r.aantal_registraties
    from jaren as j
    left join schatting as s on s.jaar = j.jaar
    left join registraties as r on r.jaar = j.jaar
)

select
    'RE09'::text as regio,
    '{{ var("regio_naam") }}'::text as regio_naam,
    jaar::integer as jaar,
    bron::text as bron,
    slachtofferschap_pct::numeric(4, 1) as slachtofferschap_pct,
    slachtofferschap_ondergrens_pct::numeric(4, 1) as slachtofferschap_ondergrens_pct,
    slachtofferschap_bovengrens_pct::numeric(4, 1) as slachtofferschap_bovengrens_pct,
    inwoners_15plus::integer as inwoners_15plus,
    round(geschatte_slachtoffers)::integer as geschatte_slachtoffers,
    round(geschatte_slachtoffers_ondergrens)::integer as geschatte_slachtoffers_ondergrens,
    round(geschatte_slachtoffers_bovengrens)::integer as geschatte_slachtoffers_bovengrens,
    aantal_registraties::integer as aantal_registraties,
    -- More estimated victims means a lower rate: the rate's lower bound comes from the upper
    -- bound of the estimate and vice versa.
    round(aantal_registraties / nullif(geschatte_slachtoffers, 0), 4)::numeric(8, 4) as registratiegraad,
    round(aantal_registraties / nullif(geschatte_slachtoffers_bovengrens, 0), 4)::numeric(8, 4)
        as registratiegraad_ondergrens,
    round(aantal_registraties / nullif(geschatte_slachtoffers_ondergrens, 0), 4)::numeric(8, 4)
        as registratiegraad_bovengrens,
    round(geschatte_slachtoffers - aantal_registraties)::integer as dark_number,
    round(geschatte_slachtoffers_ondergrens - aantal_registraties)::integer as dark_number_ondergrens,
    round(geschatte_slachtoffers_bovengrens - aantal_registraties)::integer as dark_number_bovengrens
from samen
