{#- Looks for hidden cells that can be recovered by subtraction, in a reporting relation with
    the standard columns (niveau, gebied_code, basisteam_code, district, jaar, kwartaal,
    uitsplitsing, waarde and a count with its hidden flag: by default aantal and onderdrukt; pass
    count_column and hidden_column for a second published measure, such as an amount). Written independently of suppress_cells: it
    rebuilds every published equation "children add up to their parent" from the published
    rows alone:
      - gebied: the gemeenten of a basisteam add up to the basisteam, the basisteams of a district
        to the district, the districts to the region; per quarter, breakdown and value;
      - uitsplitsing: the values of one breakdown add up to the total (the modi of a categorie to
        that categorie); per gebied and quarter, and per breakdown.
    Fails for every equation with exactly one hidden member, unless that member is a parent
    whose children are all shown as 0 (a hidden count is at least 1, so such a parent counts
    something no child counts, like the region's gemeente onbekend, and is not derivable). -#}
{% test no_recoverable_cells(model, count_column='aantal', hidden_column='onderdrukt') %}
-- The unit (region) of each district, from the reference data: a warehouse may hold several
-- units, each its own region row (a gemeente without a unit is in the project's own, regio_code).
with eenheden as (
    select distinct
        district,
        coalesce(eenheid_code, '{{ var("regio_code") }}') as eenheid
    from {{ ref('stg_reference__gemeenten') }}
),

cellen as (
    select
        m.niveau || ':' || m.gebied_code as gebied,
        case m.niveau
            when 'gemeente' then 'basisteam:' || m.basisteam_code
            when 'basisteam' then 'district:' || m.district
            when 'district' then 'regio:' || coalesce(e.eenheid, '{{ var("regio_code") }}')
        end as ouder_gebied,
        jaar,
        kwartaal,
        uitsplitsing,
        {{ uitsplitsing_key('uitsplitsing', 'waarde') }} as cel,
        {{ uitsplitsing_ouder_key('uitsplitsing', 'waarde') }} as ouder_cel,
        coalesce({{ hidden_column }}, false) as onderdrukt,
        {{ count_column }} as aantal
    from {{ model }} as m
    left join eenheden as e on m.niveau = 'district' and e.district = m.gebied_code
),

-- Children grouped per equation; the parent is looked up next.
kinderen as (
    select
        'gebied' as soort,
        ouder_gebied as ouder_gebied,
        cel as ouder_cel,
        jaar,
        kwartaal,
        null as uitsplitsing,
        count(*) filter (where onderdrukt) as verborgen,
        coalesce(sum(aantal) filter (where not onderdrukt), 0) as som_getoond
    from cellen
    where ouder_gebied is not null
    group by ouder_gebied, cel, jaar, kwartaal
    union all
    select
        'uitsplitsing',
        gebied,
        ouder_cel,
        jaar,
        kwartaal,
        uitsplitsing,
        count(*) filter (where onderdrukt),
        coalesce(sum(aantal) filter (where not onderdrukt), 0)
    from cellen
    where ouder_cel is not null
    group by gebied, ouder_cel, jaar, kwartaal, uitsplitsing
),

vergelijkingen as (
    select k.*, o.onderdrukt as ouder_verborgen
    from kinderen as k
    join cellen as o
        on o.gebied = k.ouder_gebied
       and o.cel = k.ouder_cel
       and o.jaar = k.jaar
       and o.kwartaal = k.kwartaal
)

select *
from vergelijkingen
where verborgen + ouder_verborgen::int = 1
  and not (ouder_verborgen and som_getoond = 0)
{% endtest %}
