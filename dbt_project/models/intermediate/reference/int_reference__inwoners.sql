-- The one place that decides the population behind every rate per 10,000 inwoners. For now the
-- rounded estimate kept with the reference data; when the CBS bevolking feed arrives, join it
-- here and change the expression below to coalesce(cbs.inwoners, g.inwoners_circa).
with gemeenten as (
    select * from {{ ref('stg_reference__gemeenten') }}
)

select
    g.gemeentecode,
    g.inwoners_circa as inwoners,
    case when g.inwoners_circa is not null then 'schatting referentiedata' end as inwoners_bron
from gemeenten as g
