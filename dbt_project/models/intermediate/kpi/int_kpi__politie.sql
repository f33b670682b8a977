-- Goal 2: the share of formal aangiftes among the police registrations of online crime per year
-- (in percent, one decimal), over registrations whose registratiesoort is known.
-- The same rows as the staging view, from the table that holds them: the view's window over every
-- raw row costs seconds at national scale, the table a scan.
with registraties as (
    select registratiejaar, registratiesoort from {{ ref('int_politie__registraties_per_gemeente') }}
)

select
    'aandeel_aangiften_politie' as indicator,
    registratiejaar as jaar,
    round(
        100.0 * count(*) filter (where registratiesoort = 'aangifte')
        / nullif(count(*) filter (where registratiesoort is not null), 0),
        1
    ) as realisatie
from registraties
group by registratiejaar
