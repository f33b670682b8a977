-- The survey's estimate of online victims in the unit, per year: CBS's victimisation rate for the
-- whole politie-eenheid (RE09, persons of 15 and over) times the unit's population of 15 and
-- over (the sum over its current gemeenten, population on 1 January of that year), with the
-- survey's 95% interval carried through. Unknown stays unknown: a year without a survey figure,
-- or with a gemeente whose 15+ population is missing, gets no estimate (null, never 0 and never
-- a sum over fewer gemeenten).
with enquete as (
    select jaar, bron, waarde, ondergrens, bovengrens
    from {{ ref('stg_cbs__veiligheidsmonitor') }}
    where regio = 'RE09'
      and indicator = 'slachtofferschap_online'
),

gemeenten as (
    select gemeentecode from {{ ref('stg_reference__gemeenten') }}
),

populatie as (
    select
        b.jaar,
        case
            when count(b.inwoners_15plus) = (select count(*) from gemeenten) then sum(b.inwoners_15plus)
        end as inwoners_15plus
    from {{ ref('stg_cbs__bevolking') }} as b
    join gemeenten as g on g.gemeentecode = b.gemeentecode
    group by b.jaar
),

jaren as (
    select jaar from enquete
    union
    select jaar from populatie
)

select
    j.jaar,
    e.bron,
    e.waarde as slachtofferschap_pct,
    e.ondergrens as slachtofferschap_ondergrens_pct,
    e.bovengrens as slachtofferschap_bovengrens_pct,
    p.inwoners_15plus,
    -- Three decimals: exact for CBS's percentages with one decimal, kept unrounded until reporting.
    round(e.waarde / 100 * p.inwoners_15plus, 3)::numeric(14, 3) as geschatte_slachtoffers,
    round(e.ondergrens / 100 * p.inwoners_15plus, 3)::numeric(14, 3) as geschatte_slachtoffers_ondergrens,
    round(e.bovengrens / 100 * p.inwoners_15plus, 3)::numeric(14, 3) as geschatte_slachtoffers_bovengrens
from jaren as j
left join enquete as e on e.jaar = j.jaar
left join populatie as p on p.jaar = j.jaar
