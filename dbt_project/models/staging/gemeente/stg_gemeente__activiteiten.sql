-- Activities have no delivery periods: every delivery stays current and a gemeente may send an
-- activity again, corrected, in any later file. The same activity is the same delivering folder,
-- datum and titel (docs/sources/feeds/activiteiten.md); of its versions the latest delivery
-- wins, and within one file the last line.
with activiteiten as (
    select * from {{ source('gemeente', 'activiteiten') }}
),

versies as (
    {{ versies_per_sleutel('activiteiten', 'activiteiten', ['l.partner', 'r.datum', 'r.titel']) }}
),

actueel as (
    select
        *,
        -- A gemeente folder delivers only its own activities, so an empty gemeente there means
        -- the folder's gemeente; in regio/ an empty gemeente means a regional activity.
        coalesce(
            gemeente,
            case when upper(leverancier) ~ '^GM[0-9]{4}$' then upper(leverancier) end
        ) as gemeentecode_effectief
    from versies
    where versie = 1
)

select
    md5(concat_ws('|', leverancier, datum::text, titel)) as activiteit_sleutel,
    leverancier,
    delivery_id,
    line_number as regelnummer,
    aantal_leveringen,
    datum,
    date_trunc('month', datum)::date as maand,
    extract(year from datum)::integer as jaar,
    extract(quarter from datum)::integer as kwartaal,
    gemeentecode_effectief as gemeentecode,
    (leverancier = 'regio' and gemeentecode_effectief is null) as regionaal,
    -- Free text, kept as text: a leading =, +, - or @ is part of the title, never a formula.
    titel,
    type as activiteittype,
    doelgroep,
    campagne,
    bereik,
    deelnemers,
    onderbouwd
from actueel
