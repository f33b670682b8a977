-- CBS files have no delivery periods: every delivery stays current, and a newer file for the same
-- year and gemeente replaces the earlier figures (shared/feeds/cbs.md), e.g. the definitive
-- population after the provisional one. The whole row is replaced, unknown values included.
with bevolking as (
    select * from {{ source('cbs', 'bevolking') }}
),

leveringen as (
    select delivery_id
    from {{ source('audit', 'deliveries') }}
    where feed = 'bevolking'
      and is_current
),

versies as (
    select
        b.*,
        row_number() over cijfer as versie,
        count(*) over cijfer as aantal_leveringen
    from bevolking as b
    join leveringen as l on l.delivery_id = b.delivery_id
    window cijfer as (
        partition by b.jaar, b.gemeente
        order by b.delivery_id desc, b.line_number desc
        rows between unbounded preceding and unbounded following
    )
)

select
    jaar,
    gemeente as gemeentecode,
    inwoners,
    inwoners_15plus,
    delivery_id,
    line_number as regelnummer,
    aantal_leveringen
from versies
where versie = 1
