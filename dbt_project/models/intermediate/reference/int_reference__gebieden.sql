-- Every gebied a reporting relation shows, with its place in the hierarchy
-- gemeente -> basisteam -> district -> regio and its population (the sum of its gemeenten).
-- The regio level is the police unit (eenheid) of the reference data: one row per unit, so a
-- warehouse holding several units (a national view) rolls each district up into its own unit.
-- A gemeente without a unit belongs to the project's own (vars regio_code, regio_naam).
with gemeenten as (
    select
        g.*,
        i.inwoners,
        coalesce(g.eenheid_code, '{{ var("regio_code") }}') as eenheid,
        coalesce(g.eenheid_naam, '{{ var("regio_naam") }}') as eenheid_naam_of_eigen
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
    'regio:' || eenheid,
    sum(inwoners)
from gemeenten
-- A district in two units would show up as two rows with the same key (the unique test says so).
group by district, eenheid

union all

select
    'regio',
    eenheid,
    eenheid_naam_of_eigen,
    null,
    null,
    null,
    'regio:' || eenheid,
    null,
    sum(inwoners)
from gemeenten
group by eenheid, eenheid_naam_of_eigen
