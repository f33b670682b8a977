-- Goals 2 and 5 from the CBS surveys, for the whole politie-eenheid (regio code RE09 in the
-- delivery). The year plan monitors aangiftebereidheid on the Veiligheidsmonitor only (its
-- baseline 16.9% is the VM 2023; OVeC measures it differently), and online victimisation on both
-- VM and OVeC (the plan itself compares VM 2023 with OVeC 2024). A value CBS did not publish ('.')
-- stays unknown: the year then has no data for that indicator.
with metingen as (
    select jaar, regio, indicator, waarde, bron
    from {{ ref('stg_cbs__veiligheidsmonitor') }}
    where regio = '{{ var("cbs_regiocode", "RE09") }}'
)

select indicator, jaar::integer as jaar, waarde::numeric as realisatie
from metingen
where (indicator = 'aangiftebereidheid_online' and bron = 'VM')
   or (indicator = 'slachtofferschap_online' and bron in ('VM', 'OVeC'))
