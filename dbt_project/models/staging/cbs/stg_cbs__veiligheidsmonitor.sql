-- CBS files have no delivery periods: every delivery stays current, and a newer file for the same
-- year, region and indicator replaces the earlier figure (shared/feeds/cbs.md). The whole row is
-- replaced, unknown values included: a figure CBS withdrew ('.') must not survive from an older
-- file, and unknown is never made zero.
with veiligheidsmonitor as (
    select * from {{ source('cbs', 'veiligheidsmonitor') }}
),

leveringen as (
    select delivery_id
    from {{ source('audit', 'deliveries') }}
    where feed = 'veiligheidsmonitor'
      and is_current
),

versies as (
    select
        v.*,
        row_number() over cijfer as versie,
        count(*) over cijfer as aantal_leveringen
    from veiligheidsmonitor as v
    join leveringen as l on l.delivery_id = v.delivery_id
    window cijfer as (
        partition by v.jaar, v.regio, v.indicator
        order by v.delivery_id desc, v.line_number desc
        rows between unbounded preceding and unbounded following
    )
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
