-- One row per registration (aangifte or melding) of online crime in the current deliveries.
with registraties as (
    select * from {{ ref('int_politie__registraties_per_gemeente') }}
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
