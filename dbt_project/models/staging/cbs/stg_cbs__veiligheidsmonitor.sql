-- CBS files have no delivery periods: every delivery stays current, and a newer file for the same
-- year, region and indicator replaces the earlier figure (docs/sources/feeds/cbs.md). The whole
-- row is replaced, unknown values included: a figure CBS withdrew ('.') must not survive from an
-- older file, and unknown is never made zero.
with veiligheidsmonitor as (
    select * from {{ source('cbs', 'veiligheidsmonitor') }}
),

versies as (
    {{ versies_per_sleutel('veiligheidsmonitor', 'veiligheidsmonitor', ['r.jaar', 'r.regio', 'r.indicator']) }}
)

select
    jaar,
    regio,
    case
        when regio ~ '^GM[0-9]{4}$' then 'gemeente'
        when regio ~ '^PV[0-9]{2}$' then 'provincie'
        when regio = 'RE09' then 'eenheid'
        when regio = 'NL01' then 'nederland'
    end as regiosoort,
    case when regio ~ '^GM[0-9]{4}$' then regio end as gemeentecode,
    indicator,
    waarde::numeric as waarde,
    ondergrens::numeric as ondergrens,
    bovengrens::numeric as bovengrens,
    bron,
    delivery_id,
    line_number as regelnummer,
    aantal_leveringen
from versies
where versie = 1
