{{ config(materialized='table') }}
{%- set uitsplitsingen = ['doelgroep', 'activiteittype'] %}

-- True counts of prevention activities and their reach per gebied x complete quarter (the
-- quarters of the local picture, so activities and registrations cover the same months) x value
-- of the breakdowns totaal, doelgroep and activiteittype, on a complete grid (0 activities where
-- none). Reach: activities without a known reach add nothing; a cell in which no activity has a
-- known reach has an unknown reach (null), never 0 - except a cell without activities, which
-- reached nobody. Regional activities count for the region only. Not for publication.
with activiteiten as (
    select * from {{ ref('int_activiteiten__geplaatst') }}
),

kwartalen as (
    select jaar, kwartaal, periode
    from {{ ref('int_politie__kwartalen') }}
    where is_compleet
),

per_gebied as (
    {{ per_gebied('activiteiten') }}
),

per_cel as (
    select
        p.gebied_key,
        p.jaar,
        p.kwartaal,
        u.uitsplitsing,
        u.waarde,
        count(*) as activiteiten,
        sum(p.bereik) as bereik
    from per_gebied as p
    {{ per_uitsplitsing('p', uitsplitsingen) }}
    group by 1, 2, 3, 4, 5
),

waarden as (
    {{ uitsplitsing_waarden('activiteiten', uitsplitsingen) }}
)

{{ tellingen_raster('kwartalen', 'waarden', 'per_cel', {
    'aantal': 'coalesce(t.activiteiten, 0)::integer',
    'bereik': '(case when t.activiteiten is null then 0 else t.bereik end)::integer',
}) }}
