-- Cases of the *current* delivery for each quarter only: a corrected quarter arrives under the
-- same file name as a new delivery and supersedes the earlier one (raw keeps both).
with instroom as (
    select * from {{ source('om', 'instroom') }}
),

actuele_leveringen as (
    {{ actuele_leveringen('om_instroom') }}
)

select
    i.parketnummer_pseudoniem,
    i.delivery_id,
    i.line_number as regelnummer,
    l.period as leveringsperiode,
    i.instroomdatum,
    date_trunc('month', i.instroomdatum)::date as instroommaand,
    extract(year from i.instroomdatum)::integer as instroomjaar,
    extract(quarter from i.instroomdatum)::integer as instroomkwartaal,
    i.pleeggemeente as gemeentecode,
    -- The OM classifies its cases itself; taken as delivered, not derived from the feit.
    i.categorie,
    i.feit,
    i.beslissing,
    i.beslisdatum
from instroom as i
join actuele_leveringen as l on l.delivery_id = i.delivery_id
