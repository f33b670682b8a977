-- Registrations of the *current* delivery for each month only: raw keeps every delivery
-- (a corrected month arrives as a new delivery and supersedes the earlier one).
-- A registration number can also come again in another month's file (the police export lists
-- a registration again when it was changed; the spec asks uniqueness only within a file). We
-- read that as a correction: the newest delivery wins, so every registration counts once, in
-- the month of its latest version (docs/sources/feeds/politie_registraties.md).
with registraties as (
    select * from {{ source('politie', 'registraties') }}
),

actuele_leveringen as (
    {{ actuele_leveringen('politie_registraties') }}
),

versies as (
    select
        r.*,
        l.period,
        row_number() over (
            partition by r.registratienummer_pseudoniem
            order by r.delivery_id desc, r.line_number desc
        ) as versie
    from registraties as r
    join actuele_leveringen as l on l.delivery_id = r.delivery_id
)

select
    r.registratienummer_pseudoniem as registratie_pseudoniem,
    r.delivery_id,
    r.line_number as regelnummer,
    r.period as leveringsperiode,
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
from versies as r
where r.versie = 1
