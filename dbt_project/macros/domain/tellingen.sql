{#- The building blocks of every intermediate counts grid (int_*__tellingen_kwartaal and the
    int_fit models): place rows in the gebieden they count for, split them over the breakdown
    values, and lay the counts on a complete grid. One definition, so that every feed rolls up,
    splits and fills its zeros the same way, and the disclosure control in the reporting layer
    can rely on complete "children add up to their parent" equations everywhere. -#}


{#- Every row of `relation` once for each gebied it counts for: its gemeente, basisteam and
    district when known, and always its region (so the region also counts rows with gemeente
    onbekend, and is more than the sum of its districts only by those). The region is the unit
    (eenheid) its district belongs to in int_reference__gebieden; a row without a known district
    counts for the project's own unit (var regio_code). The keys are the gebied_key of
    int_reference__gebieden. `relation` needs gemeentecode, basisteam_code and district; the
    result has all its columns plus gebied_key. -#}
{% macro per_gebied(relation) -%}
    select
        rij.*,
        gebied.gebied_key
    from {{ relation }} as rij
    left join {{ ref('int_reference__gebieden') }} as district_van_rij
        on district_van_rij.gebied_key = 'district:' || rij.district
    cross join lateral (values
        ('gemeente:' || rij.gemeentecode),
        ('basisteam:' || rij.basisteam_code),
        ('district:' || rij.district),
        (coalesce(district_van_rij.gebied_ouder_key, 'regio:{{ var("regio_code") }}'))
    ) as gebied (gebied_key)
    where gebied.gebied_key is not null
{%- endmacro %}


{#- A lateral join that repeats each row of `alias` once per breakdown: the total ('totaal',
    'totaal') and, for every column in `uitsplitsingen`, (column name, the row's value). Adds
    the columns uitsplitsing and waarde. -#}
{% macro per_uitsplitsing(alias, uitsplitsingen) -%}
    cross join lateral (values
        ('totaal', 'totaal')
        {%- for kolom in uitsplitsingen %},
        ('{{ kolom }}', {{ alias }}.{{ kolom }})
        {%- endfor %}
    ) as u (uitsplitsing, waarde)
{%- endmacro %}


{#- The values of each breakdown: the total and every value of each column in `uitsplitsingen`
    that occurs in `relation`, so that every quarter and gebied shows the same rows. A missing
    value gets no row (the staging tests keep breakdown columns filled where it matters; police
    registration types may be unknown and are then only in the total).
    `distinct` per column changes no row (the union removes duplicates anyway) but tells the
    planner these are a few values, not millions: without it, at national scale (2,000,000
    registrations) it expected 10 million, merge-joined the grid to the counts on the breakdown
    alone and took 740 s for int_politie__tellingen_kwartaal; with it a hash join on every key,
    10 s (bench/README.md). -#}
{% macro uitsplitsing_waarden(relation, uitsplitsingen) -%}
    select 'totaal' as uitsplitsing, 'totaal' as waarde
    {%- for kolom in uitsplitsingen %}
    union
    select distinct '{{ kolom }}', {{ kolom }} from {{ relation }} where {{ kolom }} is not null
    {%- endfor %}
{%- endmacro %}


{#- The complete grid: every gebied of int_reference__gebieden x every row of `kwartalen` (all
    its columns, at least jaar and kwartaal) x every breakdown value of `waarden` (uitsplitsing,
    waarde), with the breakdown keys, and the counts of `tellingen` (keyed on gebied_key, jaar,
    kwartaal, uitsplitsing, waarde) left-joined as alias t. `maten` maps each output column to its
    expression over t; a cell without a row in `tellingen` must come out as 0, never null, so that
    the equations the disclosure control protects are complete. -#}
{% macro tellingen_raster(kwartalen, waarden, tellingen, maten) -%}
    select
        g.*,
        k.*,
        w.uitsplitsing,
        w.waarde,
        {{ uitsplitsing_key('w.uitsplitsing', 'w.waarde') }} as waarde_key,
        {{ uitsplitsing_ouder_key('w.uitsplitsing', 'w.waarde') }} as waarde_ouder_key,
        {%- for kolom, uitdrukking in maten.items() %}
        {{ uitdrukking }} as {{ kolom }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_reference__gebieden') }} as g
    cross join {{ kwartalen }} as k
    cross join {{ waarden }} as w
    -- On the whole cell key as one value: with five separate conditions the planner may join on
    -- the breakdown alone and check the rest per pair of rows, which is quadratic (the activities
    -- grid at national scale: 153 s; bench/README.md). The grid's keys are never null.
    left join {{ tellingen }} as t
        on array[t.gebied_key, t.jaar::text, t.kwartaal::text, t.uitsplitsing, t.waarde]
         = array[g.gebied_key, k.jaar::text, k.kwartaal::text, w.uitsplitsing, w.waarde]
{%- endmacro %}
