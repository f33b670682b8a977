-- Every month that any fact covers, in whole calendar years, with its quarter and year: the one
-- calendar the marts share, so that a month always falls in the same quarter everywhere.
-- Whole years, so that a year or quarter roll-up never misses a month without data.
-- The police months from the table that holds the staging view's rows (the view's window over every
-- raw row costs seconds at national scale).
with maanden_met_gegevens as (
    select registratiemaand as maand from {{ ref('int_politie__registraties_per_gemeente') }}
    union
    select instroommaand from {{ ref('stg_om__instroom') }}
    union
    select maand from {{ ref('stg_bank__fraudemeldingen') }}
    union
    select maand from {{ ref('stg_gemeente__activiteiten') }}
),

grenzen as (
    select
        make_date(extract(year from min(maand))::integer, 1, 1) as eerste,
        make_date(extract(year from max(maand))::integer, 12, 1) as laatste
    from maanden_met_gegevens
),

maanden as (
    select m::date as maand
    from grenzen
    cross join lateral generate_series(eerste, laatste, interval '1 month') as m
)

select
    maand::date as maand,
    to_char(maand, 'YYYY-MM')::text as periode_maand,
    extract(year from maand)::integer as jaar,
    extract(quarter from maand)::integer as kwartaal,
    extract(month from maand)::integer as maand_nummer,
    -- Dutch month names without depending on the server's locale.
    (array['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus',
           'september', 'oktober', 'november', 'december'])[extract(month from maand)::integer]::text
        as maandnaam,
    {{ kwartaal_label('extract(year from maand)::integer', 'extract(quarter from maand)::integer') }}::text
        as periode_kwartaal,
    date_trunc('quarter', maand)::date as kwartaal_begin
from maanden
