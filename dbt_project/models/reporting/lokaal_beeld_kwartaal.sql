-- The local information picture per gebied and quarter, disclosure-controlled: the relation the
-- Metabase dashboard and the per-gemeente document read. Every count, label, rate and change
-- comes out of macros/disclosure, so nothing here can show a suppressed count.
with cellen as (
    select * from {{ ref('int_politie__tellingen_kwartaal') }}
),

{{ suppress_cells(
    'cellen',
    hierarchies=[
        {'key': 'gebied_key', 'parent': 'gebied_ouder_key'},
        {'key': 'waarde_key', 'parent': 'waarde_ouder_key', 'split_by': ['uitsplitsing']},
    ],
    fixed=['jaar', 'kwartaal'],
    name='beoordeeld'
) }},

gepubliceerd as (
    select
        beoordeeld.*,
        {{ disclosed_count('aantal', 'onderdrukking') }} as aantal_gepubliceerd
    from beoordeeld
)

select
    h.niveau::text as niveau,
    h.gebied_code::text as gebied_code,
    h.gebied_naam::text as gebied_naam,
    h.gemeentecode::text as gemeentecode,
    h.basisteam_code::text as basisteam_code,
    h.district::text as district,
    h.jaar::integer as jaar,
    h.kwartaal::integer as kwartaal,
    h.periode::text as periode,
    h.uitsplitsing::text as uitsplitsing,
    h.waarde::text as waarde,
    h.aantal_gepubliceerd::integer as aantal,
    {{ disclosed_label('h.aantal', 'h.onderdrukking') }}::text as aantal_weergave,
    (h.onderdrukking is not null)::boolean as onderdrukt,
    h.inwoners::integer as inwoners,
    {{ disclosed_rate('h.aantal_gepubliceerd', 'h.inwoners', per=10000, decimalen=2) }}::numeric(10, 2)
        as per_10000_inwoners,
    -- Last year's cell as it was published itself, so a hidden count stays hidden here too.
    v.aantal_gepubliceerd::integer as aantal_vorig_jaar,
    {{ verandering_pct('h.aantal_gepubliceerd', 'v.aantal_gepubliceerd') }}::numeric(8, 1) as verandering_pct
from gepubliceerd as h
left join gepubliceerd as v
    on v.gebied_key = h.gebied_key
   and v.waarde_key = h.waarde_key
   and v.jaar = h.jaar - 1
   and v.kwartaal = h.kwartaal
