-- The RIEC cases that touch each gebied, per quarter of the local picture (running cases on the
-- quarter's last snapshot of the register), by phase and online component, disclosure-controlled
-- through macros/disclosure. A gemeente's count is not part of its basisteam's by addition (a
-- case naming two gemeenten counts for both), but suppress_cells treats gemeente -> basisteam ->
-- district -> regio as sums all the same: that hides at least what a true sum would need, so no
-- hidden count can be narrowed down by subtraction either.
with cellen as (
    select * from {{ ref('int_riec__tellingen_kwartaal') }}
),

{{ suppress_kwartaalcellen('cellen') }}

select
    {{ kwartaalcel_kolommen() }},
    peildatum::date as peildatum,
    {{ disclosed_count('aantal', 'onderdrukking') }}::integer as aantal,
    {{ disclosed_label('aantal', 'onderdrukking') }}::text as aantal_weergave,
    (onderdrukking is not null)::boolean as onderdrukt
from beoordeeld
