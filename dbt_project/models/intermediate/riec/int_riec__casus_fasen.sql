{{ config(materialized='table') }}

-- The history of every RIEC case, rebuilt from the monthly full snapshots of the register
-- (slowly changing dimension, type 2): one row per case per version. A version lasts from the
-- snapshot where it was first seen up to, not including, the snapshot where the case was first
-- seen different, or missing. A case missing from a later snapshot was withdrawn: from that
-- snapshot on it has the version 'ingetrokken' (with its last known district and component), and
-- a case that returns simply gets a new version. The counters (bestuurlijke_rapportages,
-- interventies) change nearly every month and do not start a version; each version carries
-- them as on its last snapshot.
with momentopnamen as (
    -- The one place that names the staging columns.
    select
        casus_pseudoniem,
        peildatum,
        fase,
        startdatum,
        einddatum,
        district,
        gemeentecodes,
        online_component,
        fenomeen,
        bestuurlijke_rapportages,
        interventies
    from {{ ref('stg_riec__casussen') }}
),

peildata as (
    select distinct peildatum from momentopnamen
),

-- Every case on every snapshot from its first appearance on; absent means withdrawn.
raster as (
    select c.casus_pseudoniem, p.peildatum
    from (
        select casus_pseudoniem, min(peildatum) as eerste
        from momentopnamen
        group by casus_pseudoniem
    ) as c
    join peildata as p on p.peildatum >= c.eerste
),

toestanden as (
    select
        r.casus_pseudoniem,
        r.peildatum,
        coalesce(m.fase, 'ingetrokken') as fase,
        m.startdatum,
        m.einddatum,
        m.district,
        m.gemeentecodes,
        m.online_component,
        m.fenomeen,
        m.bestuurlijke_rapportages,
        m.interventies
    from raster as r
    left join momentopnamen as m
        on m.casus_pseudoniem = r.casus_pseudoniem
       and m.peildatum = r.peildatum
),

wijzigingen as (
    select
        *,
        case
            when (fase is not distinct from lag(fase) over casus)
                and (startdatum is not distinct from lag(startdatum) over casus)
                and (einddatum is not distinct from lag(einddatum) over casus)
                and (district is not distinct from lag(district) over casus)
                and (gemeentecodes is not distinct from lag(gemeentecodes) over casus)
                and (online_component is not distinct from lag(online_component) over casus)
                and (fenomeen is not distinct from lag(fenomeen) over casus)
                then 0
            else 1
        end as is_nieuwe_versie
    from toestanden
    window casus as (partition by casus_pseudoniem order by peildatum)
),

genummerd as (
    select
        *,
        sum(is_nieuwe_versie) over (partition by casus_pseudoniem order by peildatum) as versie
    from wijzigingen
),

versies as (
    select
        casus_pseudoniem,
        versie,
        min(peildatum) as geldig_van,
        max(peildatum) as laatst_gezien,
        min(fase) as fase,
        min(startdatum) as startdatum,
        min(einddatum) as einddatum,
        min(district) as district,
        min(gemeentecodes) as gemeentecodes,
        bool_or(online_component) as online_component,
        min(fenomeen) as fenomeen,
        (array_agg(bestuurlijke_rapportages order by peildatum desc))[1] as bestuurlijke_rapportages,
        (array_agg(interventies order by peildatum desc))[1] as interventies
    from genummerd
    group by casus_pseudoniem, versie
),

-- Snapshot before each version's first one: the phase changed somewhere in between.
met_vorige as (
    select
        v.*,
        (
            select max(p.peildatum)
            from peildata as p
            where p.peildatum < v.geldig_van
        ) as vorige_peildatum
    from versies as v
)

select
    casus_pseudoniem,
    versie::integer as versie,
    fase,
    fase = 'ingetrokken' as is_ingetrokken,
    geldig_van,
    lead(geldig_van) over casus as geldig_tot,
    lead(geldig_van) over casus is null as is_actueel,
    laatst_gezien,
    vorige_peildatum,
    coalesce(startdatum, lag(startdatum) over casus) as startdatum,
    einddatum,
    coalesce(district, lag(district) over casus) as district,
    coalesce(gemeentecodes, lag(gemeentecodes) over casus) as gemeentecodes,
    coalesce(online_component, lag(online_component) over casus) as online_component,
    coalesce(fenomeen, lag(fenomeen) over casus) as fenomeen,
    bestuurlijke_rapportages,
    interventies
from met_vorige
window casus as (partition by casus_pseudoniem order by versie)
