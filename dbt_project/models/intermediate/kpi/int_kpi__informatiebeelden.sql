-- Goal 1: basisteams that received at least two local information pictures in a year, from the
-- platform's own publication log. A picture is one quarter (periode) for a basisteam: documents
-- for several of its gemeenten, or a document rendered again, are the same picture. The year is
-- the year of publication in Dutch time (a Q4 picture handed out in January is discussed then).
-- Years with any publication count; the basisteam is the one recorded at publication.
with publicaties as (
    select
        basisteam_code,
        periode,
        extract(year from gepubliceerd_op at time zone 'Europe/Amsterdam')::integer as jaar
    from {{ ref('stg_audit__publications') }}
),

per_basisteam as (
    select jaar, basisteam_code, count(distinct periode) as beelden
    from publicaties
    group by jaar, basisteam_code
)

select
    'basisteams_met_twee_informatiebeelden' as indicator,
    jaar,
    (count(*) filter (where beelden >= 2))::numeric as realisatie
from per_basisteam
group by jaar
