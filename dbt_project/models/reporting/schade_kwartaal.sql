-- Damage (schadebedrag in the police registrations) per gebied, complete quarter and breakdown
-- value (totaal, categorie, modus), disclosure-controlled through macros/disclosure.
--
-- An amount is a candidate for publication only when
--   1. the registration count of the same cell is shown in lokaal_beeld_kwartaal and is at least
--      disclosure_min_count (an amount must not describe a hidden count);
--   2. at least disclosure_schade_min_slachtoffers registrations in the cell have a damage above 0
--      (a sum over few victims tells each of them roughly what the others lost);
--   3. no single registration makes up more than disclosure_schade_dominantie of the sum (else the
--      sum is roughly that one victim's loss).
-- A cell with no damage at all (sum 0) is shown as 0 when its count is shown. The amounts then go
-- through suppress_cells like counts: a cell that fails the rules enters as 1 (hidden, primair),
-- every other cell with its number of victims (so the secondary suppression hides the amounts
-- with the fewest victims first). Amounts add up like counts (gemeenten to basisteam, modi to
-- categorie, ...), so no hidden amount can be recovered by subtracting shown ones.
-- Built per quarter (macros/platform/kwartalen.sql).
{{ kwartaal_incrementeel() }}
-- depends_on: {{ ref('int_politie__kwartaal_stand') }}
with cellen as (
    select * from {{ ref('int_politie__schade_kwartaal') }}
    {%- if is_incremental() %}
    where (jaar, kwartaal) in {{ te_bouwen_kwartalen() }}
    {%- endif %}
),

gepubliceerde_aantallen as (
    select niveau, gebied_code, jaar, kwartaal, uitsplitsing, waarde, aantal
    from {{ ref('lokaal_beeld_kwartaal') }}
),

te_beoordelen as (
    select
        c.*,
        g.aantal as aantal_registraties_gepubliceerd,
        case
            when g.aantal is null then 1
            when c.aantal_met_schade = 0 then 0
            when g.aantal < {{ var('disclosure_min_count') }} then 1
            when c.aantal_met_schade < {{ var('disclosure_schade_min_slachtoffers') }} then 1
            when c.grootste_schade_eur > {{ var('disclosure_schade_dominantie') }} * c.schade_eur then 1
            else c.aantal_met_schade
        end as aantal
    from cellen as c
    left join gepubliceerde_aantallen as g
        on g.niveau = c.niveau
       and g.gebied_code = c.gebied_code
       and g.jaar = c.jaar
       and g.kwartaal = c.kwartaal
       and g.uitsplitsing = c.uitsplitsing
       and g.waarde = c.waarde
),

{{ suppress_kwartaalcellen('te_beoordelen') }}

select
    {{ kwartaalcel_kolommen() }},
    aantal_registraties_gepubliceerd::integer as aantal_registraties,
    {{ disclosed_amount('schade_eur', 'onderdrukking') }}::numeric(14, 0) as schade_eur,
    {{ disclosed_amount_label('schade_eur', 'onderdrukking') }}::text as schade_weergave,
    (onderdrukking is not null)::boolean as schade_onderdrukt
from beoordeeld
