-- Which quarters the politie feed covers completely. Reporting shows whole quarters only: a
-- quarter with one of three months delivered would read as a steep fall against last year.
with leveringen as (
    select * from {{ ref('stg_audit__deliveries') }}
    where feed = 'politie_registraties'
      and is_actueel
      and periode ~ '^[0-9]{4}-[0-9]{2}$'
),

maanden as (
    select distinct
        substr(periode, 1, 4)::integer as jaar,
        (substr(periode, 6, 2)::integer - 1) / 3 + 1 as kwartaal,
        periode as maand
    from leveringen
)

select
    jaar,
    kwartaal,
    {{ kwartaal_label('jaar', 'kwartaal') }} as periode,
    count(*)::integer as maanden_geleverd,
    count(*) = 3 as is_compleet
from maanden
group by jaar, kwartaal
