-- Every gebied a reporting relation shows, with its place in the hierarchy
-- gemeente -> basisteam -> district -> regio and its population (the sum of its gemeenten).
with gemeenten as (
    select g.*, i.inwoners
    from {{ ref('stg_reference__gemeenten') }} as g
    left join {{ ref('int_reference__inwoners') }} as i on i.gemeentecode = g.gemeentecode
)

select
    'gemeente' as niveau,
    gemeentecode as gebied_code,
    gemeentenaam as gebied_naam,
    gemeentecode,
    basisteam_code,
    district,
    'gemeente:' || gemeentecode as gebied_key,
    'basisteam:' || basisteam_code as gebied_ouder_key,
    inwoners
from gemeenten

union all

-- Grouped by district too: a basisteam split over two districts would show up as two rows
-- with the same key, which the unique test on gebied_key reports.
select
    'basisteam',
    basisteam_code as gebied_code,
    basisteam_naam,
    null,
    basisteam_code,
    district,
    'basisteam:' || basisteam_code,
    'district:' || district,
    sum(inwoners)
from gemeenten
group by basisteam_code, basisteam_naam, district

union all

select
    'district',
    district as gebied_code,
    district as gebied_naam,
    null,
    null,
    district,
    'district:' || district,
    'regio:{{ var("regio_code") }}',
    sum(inwoners)
from gemeenten
group by district

union all

select
    'regio',
    '{{ var("regio_code") }}',
    '{{ var("regio_naam") }}',
    null,
    null,
    null,
    'regio:{{ var("regio_code") }}',
    null,
    sum(inwoners)
from gemeenten
