{{ config(materialized='table') }}

-- Per quarter of the police feed, a fingerprint of everything the quarterly models compute that
-- quarter's rows from (macros/platform/kwartalen.sql): its registrations as
-- int_politie__registraties_per_gemeente holds them (each by pseudonym, delivery and gemeente;
-- every other column follows from the delivery and the gebieden), whether it is complete, the
-- same for the quarter a year earlier, and what every quarter shares (the gebieden with their
-- population, the values of the breakdowns). Equal fingerprints, equal rows; a change anywhere in
-- them changes it. The row-level table is read twice by name: a CTE read twice would first be
-- copied whole into a temporary store (at national scale most of this model's time).
with per_kwartaal as (
    select
        registratiejaar as jaar,
        registratiekwartaal as kwartaal,
        count(*) as aantal,
        -- Order-free: a sum of 64-bit hashes of every row, with the count. The gemeente decides
        -- basisteam and district, which the gebieden below fingerprint.
        sum(hashtextextended(registratie_pseudoniem || '|' || coalesce(gemeentecode, '-'), delivery_id)::numeric)
            as som
    from {{ ref('int_politie__registraties_per_gemeente') }}
    group by 1, 2
),

kwartalen as (
    select jaar, kwartaal, is_compleet from {{ ref('int_politie__kwartalen') }}
),

eigen as (
    select
        coalesce(k.jaar, p.jaar) as jaar,
        coalesce(k.kwartaal, p.kwartaal) as kwartaal,
        concat_ws(':', coalesce(k.is_compleet, false), coalesce(p.aantal, 0), coalesce(p.som, 0)) as stand
    from kwartalen as k
    full join per_kwartaal as p on p.jaar = k.jaar and p.kwartaal = k.kwartaal
),

-- The breakdown values from the few combinations that occur, in one pass.
combinaties as (
    select distinct {{ politie_uitsplitsingen() | join(', ') }}
    from {{ ref('int_politie__registraties_per_gemeente') }}
),

waarden as (
    {{ uitsplitsing_waarden('combinaties', politie_uitsplitsingen()) }}
),

gedeeld as (
    select md5(concat_ws(
        '/',
        (select string_agg(g::text, '|' order by g::text) from {{ ref('int_reference__gebieden') }} as g),
        (select string_agg(w.uitsplitsing || '=' || w.waarde, '|' order by w.uitsplitsing, w.waarde) from waarden as w)
    )) as stand
)

select
    e.jaar::integer as jaar,
    e.kwartaal::integer as kwartaal,
    md5(concat_ws('/', e.stand, coalesce(v.stand, '-'), g.stand)) as stand
from eigen as e
left join eigen as v on v.jaar = e.jaar - 1 and v.kwartaal = e.kwartaal
cross join gedeeld as g
