{{ config(materialized='table') }}
{%- set uitsplitsingen = ['categorie', 'fraudetype'] %}

-- True counts of the partners' fraud reports per gebied x quarter x value of the breakdowns
-- totaal, categorie and fraudetype (which adds up to its categorie), on a complete grid (0 where
-- nothing was reported). Not for publication.
--
-- Quarters: those of the local picture (all three police months delivered) in which every partner
-- that delivered for the quarter delivered all three months; a partner's missing month would
-- otherwise read as a fall. Rows of a gemeente outside the unit (gemeentecode empty once placed)
-- belong to no gebied of Midden-Nederland, so the region is exactly the sum of its districts.
with meldingen as (
    select * from {{ ref('int_fraude__meldingen_geplaatst') }}
    where gemeentecode is not null
),

leveringen as (
    select distinct partner, substr(periode, 1, 4)::integer as jaar,
           (substr(periode, 6, 2)::integer - 1) / 3 + 1 as kwartaal, periode
    from {{ ref('stg_audit__deliveries') }}
    where feed = 'fraudemeldingen'
      and is_actueel
      and periode ~ '^[0-9]{4}-[0-9]{2}$'
),

partner_kwartalen as (
    select jaar, kwartaal, partner, count(*) as maanden
    from leveringen
    group by 1, 2, 3
),

kwartalen as (
    select k.jaar, k.kwartaal, k.periode
    from {{ ref('int_politie__kwartalen') }} as k
    join partner_kwartalen as p on p.jaar = k.jaar and p.kwartaal = k.kwartaal
    where k.is_compleet
    group by k.jaar, k.kwartaal, k.periode
    having bool_and(p.maanden = 3)
),

per_gebied as (
    {{ per_gebied('meldingen') }}
),

per_cel as (
    select
        p.gebied_key,
        p.jaar,
        p.kwartaal,
        u.uitsplitsing,
        u.waarde,
        sum(p.meldingen) as meldingen,
        sum(p.gedupeerden) as gedupeerden,
        sum(p.schade_eur) as schade_eur
    from per_gebied as p
    {{ per_uitsplitsing('p', uitsplitsingen) }}
    group by 1, 2, 3, 4, 5
),

waarden as (
    {{ uitsplitsing_waarden('meldingen', uitsplitsingen) }}
)

{{ tellingen_raster('kwartalen', 'waarden', 'per_cel', {
    'aantal': 'coalesce(t.meldingen, 0)::integer',
    'gedupeerden': 'coalesce(t.gedupeerden, 0)::integer',
    'schade_eur': 'coalesce(t.schade_eur, 0)::numeric(14, 2)',
}) }}
