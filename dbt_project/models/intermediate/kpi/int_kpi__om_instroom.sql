-- Goal 4: cases entering the OM per year. Every case in the feed is online crime (cybercrime or
-- gedigitaliseerde criminaliteit), so all count; a year counts when any of its cases was delivered.
with instroom as (
    select instroomdatum from {{ ref('stg_om__instroom') }}
)

select
    'om_instroom_online' as indicator,
    extract(year from instroomdatum)::integer as jaar,
    count(*)::numeric as realisatie
from instroom
group by 2
