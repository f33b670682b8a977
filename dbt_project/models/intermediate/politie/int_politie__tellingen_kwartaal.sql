{{ kwartaal_incrementeel() }}
{%- set uitsplitsingen = politie_uitsplitsingen() %}
-- depends_on: {{ ref('int_politie__kwartaal_stand') }}

-- True (unsuppressed) counts per gebied x complete quarter x breakdown value, on a complete grid:
-- every gebied, every complete quarter and every value that occurs, 0 where nothing happened.
-- The grid makes every "children add up to their parent" equation complete, which the
-- disclosure control in the reporting layer relies on. Not for publication: only the
-- transformer role can read the intermediate schema. Built per quarter (macros/platform/kwartalen.sql):
-- an incremental build computes only the quarters whose registrations changed.
with registraties as (
    select * from {{ ref('int_politie__registraties_per_gemeente') }}
),

kwartalen as (
    select jaar, kwartaal, periode
    from {{ ref('int_politie__kwartalen') }}
    where is_compleet
    {%- if is_incremental() %}
        and (jaar, kwartaal) in {{ te_bouwen_kwartalen() }}
    {%- endif %}
),

-- One row per combination that occurs keeps the expansion below small.
combinaties as (
    select
        r.registratiejaar as jaar,
        r.registratiekwartaal as kwartaal,
        r.gemeentecode,
        r.basisteam_code,
        r.district,
        r.categorie,
        r.modus,
        r.registratiesoort,
        r.leeftijdsklasse,
        r.slachtoffer_type,
        count(*) as aantal
    from registraties as r
    join kwartalen as k on k.jaar = r.registratiejaar and k.kwartaal = r.registratiekwartaal
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
),

-- Every registration counts for its gemeente, basisteam and district when known, and always for
-- the region (also with gemeente onbekend).
per_gebied as (
    {{ per_gebied('combinaties') }}
),

tellingen as (
    select p.gebied_key, p.jaar, p.kwartaal, u.uitsplitsing, u.waarde, sum(p.aantal) as aantal
    from per_gebied as p
    {{ per_uitsplitsing('p', uitsplitsingen) }}
    group by 1, 2, 3, 4, 5
),

-- The values of each breakdown: all that occur in any registration.
waarden as (
    {{ uitsplitsing_waarden('registraties', uitsplitsingen) }}
)

{{ tellingen_raster('kwartalen', 'waarden', 'tellingen', {'aantal': 'coalesce(t.aantal, 0)::integer'}) }}
