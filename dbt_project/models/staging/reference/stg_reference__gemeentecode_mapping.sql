with mapping as (
    select * from {{ source('reference', 'gemeentecode_mapping') }}
)

select
    oude_code,
    oude_naam,
    nieuwe_code,
    per_datum,
    toelichting
from mapping
