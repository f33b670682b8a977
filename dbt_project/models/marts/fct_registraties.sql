{#- Incremental: a build replaces (delete+insert on the pseudonym) only the registrations whose
    row in int_politie__registraties_per_gemeente is new or differs in what can change (delivery,
    placement); the post-hook drops those no longer there. Same rows as a full refresh
    (tests/dbt/test_selective_build.py). -#}
{{ config(
    materialized='incremental',
    unique_key='registratie_pseudoniem',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[{'columns': ['registratie_pseudoniem'], 'unique': true}],
    post_hook="""
        delete from {{ this }} as f
        where not exists (
            select from {{ ref('int_politie__registraties_per_gemeente') }} as i
            where i.registratie_pseudoniem = f.registratie_pseudoniem
        )""",
) }}

-- One row per registration (aangifte or melding) of online crime in the current deliveries.
with registraties as (
    select i.*
    from {{ ref('int_politie__registraties_per_gemeente') }} as i
    {% if is_incremental() -%}
    -- Every other column follows from the registration's delivery (its row there) and placement.
    where i.registratie_pseudoniem = any(array(
        select gewijzigd.registratie_pseudoniem
        from (
            select registratie_pseudoniem, delivery_id, gemeentecode, basisteam_code, district
            from {{ ref('int_politie__registraties_per_gemeente') }}
            except
            select registratie_pseudoniem, delivery_id, gemeentecode, basisteam_code, district
            from {{ this }}
        ) as gewijzigd
    ))
    {%- endif %}
)

select
    registratie_pseudoniem::text as registratie_pseudoniem,
    delivery_id::bigint as delivery_id,
    registratiedatum::date as registratiedatum,
    registratiemaand::date as registratiemaand,
    registratiejaar::integer as jaar,
    registratiekwartaal::integer as kwartaal,
    {{ kwartaal_label('registratiejaar', 'registratiekwartaal') }}::text as periode,
    pleegdatum::date as pleegdatum,
    gemeentecode::text as gemeentecode,
    basisteam_code::text as basisteam_code,
    district::text as district,
    wijkcode::text as wijkcode,
    soort_misdrijf::text as soort_misdrijf,
    incidentcode::text as incidentcode,
    modus::text as modus,
    categorie::text as categorie,
    registratiesoort::text as registratiesoort,
    leeftijdsklasse::text as leeftijdsklasse,
    slachtoffer_type::text as slachtoffer_type,
    schadebedrag::numeric(14, 2) as schadebedrag
from registraties
