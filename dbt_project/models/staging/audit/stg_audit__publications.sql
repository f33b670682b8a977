-- The platform's own publication log: every local information picture handed out, as the
-- document generator recorded it (the basisteam as it was when published).
with publications as (
    select * from {{ source('audit', 'publications') }}
)

select
    publication_id as publicatie_id,
    gemeentecode,
    basisteam_code,
    periode,
    jaar,
    kwartaal,
    published_at as gepubliceerd_op,
    document,
    sha256,
    actor as gepubliceerd_door
from publications
