-- The fraud reports the banks and the Fraudehelpdesk see (most never reach the police), per
-- gebied, quarter and breakdown value (totaal, categorie, fraudetype), disclosure-controlled
-- through macros/disclosure. Three published figures per cell, each judged by suppress_cells over
-- the same equations (gemeenten add up to their basisteam, fraudetypes to their categorie, ...):
--   meldingen    a count: 1-4 is '<5', plus secondary suppression;
--   gedupeerden  a count of victims: 1-4 is '<5'; hidden too wherever meldingen is hidden (the
--                victims of a hidden number of reports say something about that number);
--   schade       euros: shown only where gedupeerden is shown and at least
--                disclosure_schade_min_slachtoffers (the partners deliver sums, so a dominance
--                check on single victims, as for the police damage, is not possible here).
-- Hidden cells of the later figures enter their round as 1 (primair); the others enter with the
-- figure (or the number of victims, for euros), so the secondary suppression picks the smallest.
{%- set cell_columns = 'niveau, gebied_code, gebied_naam, gemeentecode, basisteam_code, district, gebied_key,
    gebied_ouder_key, inwoners, jaar, kwartaal, periode, uitsplitsing, waarde, waarde_key, waarde_ouder_key,
    meldingen, gedupeerden, schade_eur' %}

with cellen as (
    select *, aantal as meldingen
    from {{ ref('int_fraude__tellingen_kwartaal') }}
),

{{ suppress_kwartaalcellen('cellen', name='meldingen_beoordeeld') }},

gedupeerden_te_beoordelen as (
    select
        {{ cell_columns }},
        onderdrukking as meldingen_onderdrukking,
        case when onderdrukking is not null then 1 else gedupeerden end as aantal
    from meldingen_beoordeeld
),

{{ suppress_kwartaalcellen('gedupeerden_te_beoordelen', name='gedupeerden_beoordeeld') }},

schade_te_beoordelen as (
    select
        {{ cell_columns }},
        meldingen_onderdrukking,
        onderdrukking as gedupeerden_onderdrukking,
        case
            when onderdrukking is not null then 1
            when schade_eur = 0 then 0
            when gedupeerden < {{ var('disclosure_schade_min_slachtoffers') }} then 1
            else gedupeerden
        end as aantal
    from gedupeerden_beoordeeld
),

{{ suppress_kwartaalcellen('schade_te_beoordelen', name='schade_beoordeeld') }},

gepubliceerd as (
    select
        s.*,
        {{ disclosed_count('meldingen', 'meldingen_onderdrukking') }} as meldingen_gepubliceerd
    from schade_beoordeeld as s
)

select
    {{ kwartaalcel_kolommen() }},
    meldingen_gepubliceerd::integer as aantal,
    {{ disclosed_label('meldingen', 'meldingen_onderdrukking') }}::text as aantal_weergave,
    (meldingen_onderdrukking is not null)::boolean as onderdrukt,
    inwoners::integer as inwoners,
    {{ disclosed_rate('meldingen_gepubliceerd', 'inwoners', per=10000, decimalen=2) }}::numeric(10, 2)
        as per_10000_inwoners,
    {{ disclosed_count('gedupeerden', 'gedupeerden_onderdrukking') }}::integer as aantal_gedupeerden,
    -- '<5' only for a small number of victims of shown reports: for victims hidden with their
    -- reports it would tell something about a number hidden for another reason.
    (case when meldingen_onderdrukking is not null and gedupeerden_onderdrukking is not null then 'x'
          else {{ disclosed_label('gedupeerden', 'gedupeerden_onderdrukking') }} end)::text
        as aantal_gedupeerden_weergave,
    (gedupeerden_onderdrukking is not null)::boolean as gedupeerden_onderdrukt,
    {{ disclosed_amount('schade_eur', 'onderdrukking') }}::numeric(14, 0) as schade_eur,
    {{ disclosed_amount_label('schade_eur', 'onderdrukking') }}::text as schade_weergave,
    (onderdrukking is not null)::boolean as schade_onderdrukt
from gepubliceerd
