with gemeenten as (
    select * from {{ ref('stg_reference__gemeenten') }}
),

inwoners as (
    select * from {{ ref('int_reference__inwoners') }}
),

voormalig as (
    select
        nieuwe_code,
        string_agg(oude_naam || ' (' || oude_code || ')', ', ' order by oude_naam) as voormalige_gemeenten
    from {{ ref('stg_reference__gemeentecode_mapping') }}
    group by nieuwe_code
)

select
    g.gemeentecode::text as gemeentecode,
    g.gemeentenaam::text as gemeentenaam,
    g.provinciecode::text as provinciecode,
    g.veiligheidsregiocode::text as veiligheidsregiocode,
    g.district::text as district,
    g.district_bevestigd::boolean as district_bevestigd,
    g.basisteam_code::text as basisteam_code,
    g.basisteam_naam::text as basisteam_naam,
    i.inwoners::integer as inwoners,
    i.inwoners_bron::text as inwoners_bron,
    v.voormalige_gemeenten::text as voormalige_gemeenten,
    g.geldig_van::date as geldig_van
from gemeenten as g
left join inwoners as i on i.gemeentecode = g.gemeentecode
left join voormalig as v on v.nieuwe_code = g.gemeentecode
