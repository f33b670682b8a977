{#-
  Disclosure control: which cells of a table of counts may be shown.

  The cells (a CTE or relation named by `cells`) hold a count `aantal` and, per hierarchy, a key
  and the key of its parent, e.g. gebied (gemeente -> basisteam -> district -> regio) and
  uitsplitsing (modus -> categorie -> totaal). Columns in `fixed` (e.g. the period) are the same
  for all members of an equation. Every "children add up to their parent" is an equation; a
  hierarchy's `split_by` columns split a parent's children into separate equations (the values
  of each breakdown add up to the total on their own: categorie, registratiesoort, ...).

  hierarchies: list of {'key': column, 'parent': column, 'split_by': [columns]} (split_by optional).

  Rules (docs/sources/domain.md):
  1. primary: a count from 1 to disclosure_min_count - 1 is hidden ('primair');
  2. secondary: no equation may have exactly one hidden member, because that member would follow
     from the shown ones by subtraction. While some equation has exactly one, hide its smallest
     shown non-zero child (ties: lowest key), or, when no child is left, its parent ('secundair').
     Zero cells are never hidden: they add nothing to the protection.
  Hiding only ever adds cells, so the rounds reach a fixed point; every round applies rule 2 to
  all equations of each hierarchy at once. If the cells are not stable after
  disclosure_max_passes rounds the query stops with an error instead of publishing: the
  fixed point is the guarantee, the bound only limits the SQL we generate.

  One exception is not an open equation: a hidden parent whose children are all shown as 0. A
  hidden count is at least 1, so such a parent counts something no child counts (the region
  includes registrations with gemeente onbekend) and cannot be derived from its children.

  Emits CTEs (put it after `with ...,`); the last, named `name`, has every column of `cells`
  plus `onderdrukking`: null (shown), 'primair' or 'secundair'.
-#}
{% macro suppress_cells(cells, hierarchies, fixed=[], name='onderdrukte_cellen', max_passes=none) -%}
    {%- set max_passes = max_passes or var('disclosure_max_passes') -%}
    {%- set min_count = var('disclosure_min_count') -%}
    {%- set key_columns = [] -%}
    {%- for hierarchy in hierarchies -%}{%- do key_columns.append(hierarchy['key']) -%}{%- endfor -%}
    {%- set ns = namespace(state=name ~ '__r0', added=[]) %}
{{ name }}__sleutels as (
    select
        {{ _disclosure_cell_id(key_columns + fixed) }} as cel_sleutel,
        {%- for hierarchy in hierarchies %}
        case when {{ hierarchy['parent'] }} is not null
            then {{ _disclosure_cell_id(_disclosure_replace(key_columns, loop.index0, hierarchy['parent']) + fixed) }}
        end as ouder_sleutel_{{ loop.index }},
        case when {{ hierarchy['parent'] }} is not null
            then {{ _disclosure_cell_id(_disclosure_replace(key_columns, loop.index0, hierarchy['parent']) + fixed + hierarchy.get('split_by', [])) }}
        end as vgl_sleutel_{{ loop.index }},
        {%- endfor %}
        aantal
    from {{ cells }}
),
-- The rounds join and sort on 64-bit hashes of the keys, not on the keys as text arrays, and
-- skip their work after the fixed point (lokaal_beeld_kwartaal on the demo data: 2.7 s -> 0.5 s,
-- the same rows); they break ties on the cells' order by key (volgorde), as they would on the keys
-- themselves. No join here: a join of relations without statistics multiplies the planner's row
-- estimates round after round until it plans hash joins in millions of batches.
{{ ns.state }} as (
    select
        hashtextextended(cel_sleutel::text, 0) as cel_id,
        row_number() over (order by cel_sleutel) as volgorde,
        {%- for hierarchy in hierarchies %}
        hashtextextended(ouder_sleutel_{{ loop.index }}::text, 0) as ouder_id_{{ loop.index }},
        hashtextextended(vgl_sleutel_{{ loop.index }}::text, 0) as vgl_id_{{ loop.index }},
        {%- endfor %}
        aantal,
        case when aantal between 1 and {{ min_count - 1 }} then 'primair' end as onderdrukking
    from {{ name }}__sleutels
),
-- Two different keys with the same hash would merge two cells or two equations: the build stops
-- (below) rather than publish on that, however unlikely (about 1 in 10^7 at a million cells).
{{ name }}__botsingen as (
    select count(*) - count(distinct (soort, hashtextextended(sleutel::text, 0))) as aantal
    from (
        select 0 as soort, cel_sleutel as sleutel from {{ name }}__sleutels
        {%- for hierarchy in hierarchies %}
        union
        select 0, ouder_sleutel_{{ loop.index }} from {{ name }}__sleutels where ouder_sleutel_{{ loop.index }} is not null
        union
        select {{ loop.index }}, vgl_sleutel_{{ loop.index }} from {{ name }}__sleutels where vgl_sleutel_{{ loop.index }} is not null
        {%- endfor %}
    ) as sleutels
),
{%- for round in range(1, max_passes + 1) %}
    {%- for hierarchy in hierarchies %}
        {%- set next_state = name ~ '__r' ~ round ~ '_h' ~ loop.index %}
        {#- Once a step per hierarchy in a row has hidden nothing, the cells are at their fixed
            point: the rounds after it skip their work (a one-time filter) and pass the state on. #}
        {%- set recent = ns.added[-(hierarchies | length):] if ns.added | length >= hierarchies | length else [] %}
        {%- set gate = [] %}
        {%- for added in recent %}{%- do gate.append('exists (select from ' ~ added ~ ')') -%}{%- endfor %}
{{ _disclosure_equations(ns.state, loop.index, next_state ~ '__vgl', gate | join(' or ')) }},
{{ next_state }}__erbij as (
    select cel_id from {{ next_state }}__vgl
    where n_kind_verborgen + ouder_verborgen::int = 1 and n_kandidaten > 0 and rang = 1
    union
    select ouder_id from {{ next_state }}__vgl
    where n_kind_verborgen = 1 and not ouder_verborgen and n_kandidaten = 0
),
{{ next_state }} as (
    select
        s.cel_id,
        s.volgorde,
        {%- for h in hierarchies %}
        s.ouder_id_{{ loop.index }},
        s.vgl_id_{{ loop.index }},
        {%- endfor %}
        s.aantal,
        coalesce(s.onderdrukking, case when e.cel_id is not null then 'secundair' end) as onderdrukking
    from {{ ns.state }} as s
    left join {{ next_state }}__erbij as e on e.cel_id = s.cel_id
),
        {%- do ns.added.append(next_state ~ '__erbij') %}
        {%- set ns.state = next_state %}
    {%- endfor %}
{%- endfor %}
{%- for hierarchy in hierarchies %}
{{ _disclosure_equations(ns.state, loop.index, name ~ '__open_h' ~ loop.index) }},
{%- endfor %}
{{ name }}__open as (
    {%- for hierarchy in hierarchies %}
    select ouder_id from {{ name }}__open_h{{ loop.index }}
    where (n_kind_verborgen = 1 and not ouder_verborgen)
       or (ouder_verborgen and n_kind_verborgen = 0 and n_kandidaten > 0)
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),
{{ name }} as (
    select c.*, s.onderdrukking
    from {{ cells }} as c
    join {{ ns.state }} as s on s.cel_id = hashtextextended({{ _disclosure_cell_id(key_columns + fixed, 'c.') }}::text, 0)
    -- Fail closed: an equation with exactly one hidden cell left stops the build.
    where (
        select case when count(*) > 0 then cast(
            'disclosure control not stable after {{ max_passes }} rounds: ' || count(distinct ouder_id)
            || ' parent cells still have an equation with exactly one hidden cell'
            || ' (raise disclosure_max_passes)' as integer)
        end
        from {{ name }}__open
    ) is null
    and (
        select case when aantal > 0 then cast(
            'disclosure control: ' || aantal || ' cell keys share a hash' as integer)
        end
        from {{ name }}__botsingen
    ) is null
)
{%- endmacro %}


{#- One row per child cell with the state of its equation (its parent and siblings) in
    hierarchy number `h`. -#}
{% macro _disclosure_equations(state, h, cte_name, gate='') -%}
{{ cte_name }} as (
    select
        kind.cel_id,
        kind.ouder_id_{{ h }} as ouder_id,
        ouder.onderdrukking is not null as ouder_verborgen,
        count(*) filter (where kind.onderdrukking is not null) over vgl as n_kind_verborgen,
        count(*) filter (where kind.onderdrukking is null and kind.aantal > 0) over vgl as n_kandidaten,
        row_number() over (
            vgl order by (kind.onderdrukking is null and kind.aantal > 0) desc, kind.aantal, kind.volgorde
        ) as rang
    from {{ state }} as kind
    join {{ state }} as ouder on ouder.cel_id = kind.ouder_id_{{ h }}
    {%- if gate %}
    where {{ gate }}
    {%- endif %}
    window vgl as (partition by kind.vgl_id_{{ h }})
)
{%- endmacro %}


{% macro _disclosure_cell_id(columns, prefix='') -%}
    array[{% for column in columns %}({{ prefix ~ column }})::text{{ ', ' if not loop.last }}{% endfor %}]
{%- endmacro %}


{% macro _disclosure_replace(columns, index, replacement) -%}
    {%- set replaced = [] -%}
    {%- for column in columns -%}
        {%- do replaced.append(replacement if loop.index0 == index else column) -%}
    {%- endfor -%}
    {{ return(replaced) }}
{%- endmacro %}
