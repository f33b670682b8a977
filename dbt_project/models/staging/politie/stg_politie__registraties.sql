-- Registrations of the *current* delivery for each month only: raw keeps every delivery
-- (a corrected month arrives as a new delivery and supersedes the earlier one).
with registraties as (
    select * from {{ source('politie', 'registraties') }}
),

actuele_leveringen as (
    {{ actuele_leveringen('politie_registraties') }}
)

select
    r.registratienummer_pseudoniem as registratie_pseudoniem,
    r.delivery_id,
    r.line_number as regelnummer,
    l.period as leveringsperiode,
    r.registratiedatum,
    date_trunc('month', r.registratiedatum)::date as registratiemaand,
    extract(year from r.registratiedatum)::integer as registratiejaar,
    extract(quarter from r.registratiedatum)::integer as registratiekwartaal,
    r.pleegdatum,
    r.pleeggemeente as gemeentecode,
    r.wijk as wijkcode,
    r.soort_misdrijf,
    r.incidentcode,
    r.modus,
    {{ categorie_voor_modus('r.modus') }} as categorie,
    r.registratiesoort,
    r.slachtoffer_type,
    -- An unknown age is a category of its own in every breakdown, never a missing row.
    coalesce(r.slachtoffer_leeftijdsklasse, 'onbekend') as leeftijdsklasse,
    r.schadebedrag
from registraties as r
join actuele_leveringen as l on l.delivery_id = r.delivery_id
