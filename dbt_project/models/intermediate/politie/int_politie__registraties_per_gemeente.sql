{#- The row-level model of the police feed that everything downstream reads: a table, built
    incrementally, so that the staging view's window over every raw row runs once per build and
    only over the registrations a change can touch (the `where` below). Their rows are replaced
    (delete+insert on the pseudonym); the post-hook then drops the rows whose delivery is no
    longer current and that no current delivery carries any more. Same rows as a full refresh
    (tests/dbt/test_selective_build.py). -#}
{{ config(
    materialized='incremental',
    unique_key='registratie_pseudoniem',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[
        {'columns': ['registratie_pseudoniem'], 'unique': true},
        {'columns': ['delivery_id']},
    ],
    post_hook="""
        delete from {{ this }}
        where delivery_id = any(array(
            select delivery_id from {{ ref('stg_audit__deliveries') }}
            where feed = 'politie_registraties' and not is_actueel
        ))""",
) }}

-- Read only by the incremental branch below; named here so that dbt knows the model needs them.
-- depends_on: {{ ref('stg_politie__registratienummers') }}, {{ ref('stg_audit__deliveries') }}

-- Each registration placed in the organisation: gemeente, basisteam, district. A registration
-- whose gemeente is unknown (or not one of the unit's current gemeenten) keeps its row with
-- gemeentecode null: it counts for the region, never for a gemeente, basisteam or district.
with registraties as (
    select * from {{ ref('stg_politie__registraties') }}
    {% if is_incremental() -%}
    -- `in (...)`, a hashed semi-join after the staging view's window. Not `= any(array(...))`:
    -- that would reach below the window, but Postgres compares every raw row with every element
    -- of an array it cannot hash (quadratic: 2 million raw rows against a month's 26,000
    -- registrations did not finish in 9 minutes), and the window runs over every row in each
    -- build anyway (dim_periode, int_kpi__politie).
    where registratie_pseudoniem in (
        -- Rows whose delivery is no longer current (superseded, or purged by retention): an
        -- older version in a current delivery may count again, or none.
        select t.registratie_pseudoniem
        from {{ this }} as t
        where t.delivery_id = any(array(
            select d.delivery_id from {{ ref('stg_audit__deliveries') }} as d
            where d.feed = 'politie_registraties' and not d.is_actueel
        ))
        union
        -- Every registration in a current delivery this table holds no row of: a new month, or a
        -- corrected one; its registrations may replace versions from other months.
        select n.registratie_pseudoniem
        from {{ ref('stg_politie__registratienummers') }} as n
        where n.delivery_id = any(array(
            select l.delivery_id from {{ ref('stg_audit__deliveries') }} as l
            where l.feed = 'politie_registraties' and l.is_actueel
                and not exists (select from {{ this }} as t where t.delivery_id = l.delivery_id)
        ))
        union
        -- Rows placed where the reference data no longer places them (a merger, a new basisteam).
        select t.registratie_pseudoniem
        from {{ this }} as t
        {{ join_huidige_gemeente('t.gemeentecode_geleverd', alias='h') }}
        where (t.gemeentecode, t.gemeentenaam, t.basisteam_code, t.basisteam_naam, t.district)
            is distinct from (h.gemeentecode, h.gemeentenaam, h.basisteam_code, h.basisteam_naam, h.district)
    )
    {%- endif %}
)

select
    r.registratie_pseudoniem,
    r.delivery_id,
    r.regelnummer,
    r.registratiedatum,
    r.registratiemaand,
    r.registratiejaar,
    r.registratiekwartaal,
    r.pleegdatum,
    r.gemeentecode as gemeentecode_geleverd,
    g.gemeentecode,
    g.gemeentenaam,
    g.basisteam_code,
    g.basisteam_naam,
    g.district,
    r.wijkcode,
    r.soort_misdrijf,
    r.incidentcode,
    r.modus,
    r.categorie,
    r.registratiesoort,
    r.slachtoffer_type,
    r.leeftijdsklasse,
    r.schadebedrag
from registraties as r
{{ join_huidige_gemeente('r.gemeentecode') }}
