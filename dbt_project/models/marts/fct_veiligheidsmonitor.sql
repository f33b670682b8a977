-- CBS survey indicators (Veiligheidsmonitor, OVeC) at their natural grain: one row per year x
-- region x indicator, the newest delivery winning (stg_cbs__veiligheidsmonitor). A value CBS
-- does not publish stays unknown (null), never 0. Gemeente rows are conformed with dim_gemeente
-- (merged codes mapped); rows for the unit (RE09), a province or the country keep their CBS code.
with indicatoren as (
    select * from {{ ref('stg_cbs__veiligheidsmonitor') }}
)

select
    i.jaar::integer as jaar,
    i.regio::text as regio,
    i.regiosoort::text as regiosoort,
    g.gemeentecode::text as gemeentecode,
    g.basisteam_code::text as basisteam_code,
    g.district::text as district,
    i.indicator::text as indicator,
    i.waarde::numeric(5, 1) as waarde,
    i.ondergrens::numeric(5, 1) as ondergrens,
    i.bovengrens::numeric(5, 1) as bovengrens,
    i.bron::text as bron,
    i.delivery_id::bigint as delivery_id
from indicatoren as i
{{ join_huidige_gemeente('i.gemeentecode', gemeenten=ref('dim_gemeente')) }}
