-- Population per gemeente and year (CBS, 1 January), placed in the current organisation: the
-- denominator of the survey estimates (inwoners_15plus) and, per year, of any rate. Figures
-- delivered under a code that has since merged add up to the current gemeente; a 15+ figure
-- stays unknown when any part of it is unknown. Codes outside the unit are left out.
with bevolking as (
    select * from {{ ref('stg_cbs__bevolking') }}
)

select
    b.jaar::integer as jaar,
    g.gemeentecode::text as gemeentecode,
    g.basisteam_code::text as basisteam_code,
    g.district::text as district,
    sum(b.inwoners)::integer as inwoners,
    (case when bool_and(b.inwoners_15plus is not null) then sum(b.inwoners_15plus) end)::integer as inwoners_15plus,
    max(b.delivery_id)::bigint as delivery_id
from bevolking as b
{{ join_huidige_gemeente('b.gemeentecode', gemeenten=ref('dim_gemeente'), join='inner') }}
group by b.jaar, g.gemeentecode, g.basisteam_code, g.district
