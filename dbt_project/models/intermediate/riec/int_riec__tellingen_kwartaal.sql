{{ config(materialized='table') }}
{%- set uitsplitsingen = ['fase', 'online_component'] %}

-- True counts of the RIEC cases that touch each gebied, per complete quarter of the local picture,
-- from the case history (int_riec__casus_fasen): the cases that were running (phase signaal,
-- casusverkenning or casus) on the quarter's last snapshot, by phase and by online component.
-- A case touches the gemeenten it names (merged codes mapped to the current gemeente), their
-- basisteams, its own district and the region. A case with two gemeenten counts once for each and
-- once for a basisteam they share, so the gebied counts are not sums of each other (the counts
-- per value are). Complete grid: 0 where no case runs. Not for publication.
with fasen as (
    select * from {{ ref('int_riec__casus_fasen') }}
),

peildata as (
    select distinct peildatum from {{ ref('stg_riec__casussen') }}
),

kwartalen as (
    select k.jaar, k.kwartaal, k.periode, max(p.peildatum) as peildatum
    from {{ ref('int_politie__kwartalen') }} as k
    join peildata as p
        on extract(year from p.peildatum) = k.jaar
       and extract(quarter from p.peildatum) = k.kwartaal
    where k.is_compleet
    group by k.jaar, k.kwartaal, k.periode
),

lopend as (
    select
        k.jaar,
        k.kwartaal,
        f.casus_pseudoniem,
        f.fase,
        f.district,
        f.gemeentecodes,
        case
            when f.online_component then 'met online component'
            else 'zonder online component'
        end as online_component
    from kwartalen as k
    join fasen as f
        on f.geldig_van <= k.peildatum
       and (f.geldig_tot is null or f.geldig_tot > k.peildatum)
    where f.fase in ('signaal', 'casusverkenning', 'casus')
),

-- The gemeenten a case names (merged codes mapped); a case naming none of the current ones keeps
-- one row without gemeente, so that it still counts for its district and the region.
geplaatst as (
    select l.*, genoemd.gemeentecode, genoemd.basisteam_code
    from lopend as l
    left join lateral (
        select g.gemeentecode, g.basisteam_code
        from unnest(l.gemeentecodes) as u (code)
        {{ join_huidige_gemeente('u.code', join='inner') }}
    ) as genoemd on true
),

-- Each case once per gebied it touches.
per_gebied as (
    select distinct gebied_key, jaar, kwartaal, casus_pseudoniem, fase, online_component
    from ({{ per_gebied('geplaatst') }}) as p
),

tellingen as (
    select p.gebied_key, p.jaar, p.kwartaal, u.uitsplitsing, u.waarde, count(*) as aantal
    from per_gebied as p
    {{ per_uitsplitsing('p', uitsplitsingen) }}
    group by 1, 2, 3, 4, 5
),

-- Every value, also when no case has it now, so every quarter and gebied shows the same rows.
waarden as (
    select * from (values
        ('totaal', 'totaal'),
        ('fase', 'signaal'),
        ('fase', 'casusverkenning'),
        ('fase', 'casus'),
        ('online_component', 'met online component'),
        ('online_component', 'zonder online component')
    ) as w (uitsplitsing, waarde)
)

{{ tellingen_raster('kwartalen', 'waarden', 'tellingen', {'aantal': 'coalesce(t.aantal, 0)::integer'}) }}
