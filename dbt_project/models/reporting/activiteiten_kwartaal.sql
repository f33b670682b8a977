-- Prevention activities of the gemeenten and the regional programme and the people they reached,
-- per gebied, quarter and breakdown value (totaal, doelgroep, activiteittype), disclosure-
-- controlled through macros/disclosure like every reporting relation. Two published figures per
-- cell, each judged by suppress_cells over the same equations:
--   activiteiten  a count: 1-4 is '<5', plus secondary suppression;
--   bereik        people reached: 1-4 is '<5', and hidden wherever the number of activities is
--                 hidden (a reach belongs to its activities). Unknown reach stays empty.
with cellen as (
    select *, aantal as activiteiten
    from {{ ref('int_activiteiten__tellingen_kwartaal') }}
),

{{ suppress_kwartaalcellen('cellen', name='activiteiten_beoordeeld') }},

bereik_te_beoordelen as (
    select
        niveau, gebied_code, gebied_naam, gemeentecode, basisteam_code, district, gebied_key, gebied_ouder_key,
        jaar, kwartaal, periode, uitsplitsing, waarde, waarde_key, waarde_ouder_key, activiteiten, bereik,
        onderdrukking as activiteiten_onderdrukking,
        case when onderdrukking is not null then 1 else bereik end as aantal
    from activiteiten_beoordeeld
),

{{ suppress_kwartaalcellen('bereik_te_beoordelen', name='bereik_beoordeeld') }}

select
    {{ kwartaalcel_kolommen() }},
    {{ disclosed_count('activiteiten', 'activiteiten_onderdrukking') }}::integer as aantal,
    {{ disclosed_label('activiteiten', 'activiteiten_onderdrukking') }}::text as aantal_weergave,
    (activiteiten_onderdrukking is not null)::boolean as onderdrukt,
    {{ disclosed_count('bereik', 'onderdrukking') }}::integer as bereik,
    -- '<5' only for a small reach of shown activities; a reach hidden with its activities is 'x'.
    (case when onderdrukking is null and bereik is null then 'onbekend'
          when activiteiten_onderdrukking is not null then 'x'
          else {{ disclosed_label('bereik', 'onderdrukking') }} end)::text as bereik_weergave,
    (onderdrukking is not null)::boolean as bereik_onderdrukt
from bereik_beoordeeld
