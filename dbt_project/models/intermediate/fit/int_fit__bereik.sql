{{ config(materialized='table') }}

-- What was done locally, per gebied and year: activities and the people they reached, in total
-- and for the three doelgroepen the fit compares with the victims (senioren, jongeren,
-- ondernemers). Counted over the same complete quarters as int_fit__slachtofferprofiel, so that
-- victims and interventions cover the same months. Complete grid: 0 activities where none.
-- Reach: activities without a known reach add nothing; when none of the activities of a doelgroep
-- has a known reach, its reach is unknown (null), never 0.
with activiteiten as (
    select * from {{ ref('stg_gemeente__activiteiten') }}
),

kwartalen as (
    select jaar, kwartaal
    from {{ ref('int_politie__kwartalen') }}
    where is_compleet
),

jaren as (
    select distinct jaar from kwartalen
),

gebieden as (
    select * from {{ ref('int_reference__gebieden') }}
),

geplaatst as (
    select a.jaar, a.doelgroep, a.bereik, g.gemeentecode, g.basisteam_code, g.district
    from activiteiten as a
    join kwartalen as k on k.jaar = a.jaar and k.kwartaal = a.kwartaal
    {{ join_huidige_gemeente('a.gemeentecode') }}
),

-- An activity counts for its gemeente, basisteam and district; regional activities (no
-- gemeente) for the region only, like every other activity.
per_gebied as (
    {{ per_gebied('geplaatst') }}
),

tellingen as (
    select
        gebied_key,
        jaar,
        count(*) as activiteiten,
        count(*) filter (where doelgroep = 'senioren') as activiteiten_senioren,
        count(*) filter (where doelgroep = 'jongeren') as activiteiten_jongeren,
        count(*) filter (where doelgroep = 'ondernemers') as activiteiten_ondernemers,
        sum(bereik) as bereik,
        sum(bereik) filter (where doelgroep = 'senioren') as bereik_senioren,
        sum(bereik) filter (where doelgroep = 'jongeren') as bereik_jongeren,
        sum(bereik) filter (where doelgroep = 'ondernemers') as bereik_ondernemers
    from per_gebied
    group by 1, 2
)

select
    gb.gebied_key,
    j.jaar,
    coalesce(p.activiteiten, 0)::integer as activiteiten,
    coalesce(p.activiteiten_senioren, 0)::integer as activiteiten_senioren,
    coalesce(p.activiteiten_jongeren, 0)::integer as activiteiten_jongeren,
    coalesce(p.activiteiten_ondernemers, 0)::integer as activiteiten_ondernemers,
    -- No activities: nobody reached (0); activities but no known reach: unknown (null).
    (case when coalesce(p.activiteiten, 0) = 0 then 0 else p.bereik end)::integer as bereik,
    (case when coalesce(p.activiteiten_senioren, 0) = 0 then 0 else p.bereik_senioren end)::integer
        as bereik_senioren,
    (case when coalesce(p.activiteiten_jongeren, 0) = 0 then 0 else p.bereik_jongeren end)::integer
        as bereik_jongeren,
    (case when coalesce(p.activiteiten_ondernemers, 0) = 0 then 0 else p.bereik_ondernemers end)::integer
        as bereik_ondernemers
from gebieden as gb
cross join jaren as j
left join tellingen as p on p.gebied_key = gb.gebied_key and p.jaar = j.jaar
