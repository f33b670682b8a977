-- The RIEC case register with its history: one row per case per version (a phase, district or
-- gemeente change, or the withdrawal), valid from the snapshot it was first seen in until the
-- first snapshot that differed. Built from the monthly full snapshots in int_riec__casus_fasen;
-- conformed on the calendar through the quarter and year of the version's start and of the case
-- itself, and on the organisation through district and gemeenten.
with fasen as (
    select * from {{ ref('int_riec__casus_fasen') }}
),

-- When each case first showed phase casus: the year plan counts a case from that moment on.
casus_bereikt as (
    select casus_pseudoniem, min(geldig_van) as casus_sinds
    from fasen
    where fase = 'casus'
    group by casus_pseudoniem
)

select
    f.casus_pseudoniem::text as casus_pseudoniem,
    f.versie::integer as versie,
    f.fase::text as fase,
    f.is_ingetrokken::boolean as is_ingetrokken,
    f.geldig_van::date as geldig_van,
    f.geldig_tot::date as geldig_tot,
    f.is_actueel::boolean as is_actueel,
    f.laatst_gezien::date as laatst_gezien,
    extract(year from f.geldig_van)::integer as jaar,
    extract(quarter from f.geldig_van)::integer as kwartaal,
    {{ kwartaal_label(
        'extract(year from f.geldig_van)::integer',
        'extract(quarter from f.geldig_van)::integer'
    ) }}::text as periode,
    f.startdatum::date as startdatum,
    f.einddatum::date as einddatum,
    c.casus_sinds::date as casus_sinds,
    f.district::text as district,
    f.gemeentecodes::text[] as gemeentecodes,
    f.online_component::boolean as online_component,
    f.fenomeen::text as fenomeen,
    f.bestuurlijke_rapportages::integer as bestuurlijke_rapportages,
    f.interventies::integer as interventies
from fasen as f
left join casus_bereikt as c on c.casus_pseudoniem = f.casus_pseudoniem
