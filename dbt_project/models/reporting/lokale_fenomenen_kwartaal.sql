-- Local phenomena for the communication advisors (year plan: every quarter they share local
-- phenomena): per gebied (gemeente, and also basisteam, district and region, so that every
-- audience has its aggregates), quarter and modus, whether registrations rose beyond chance
-- against the same quarter a year earlier.
--
-- The test: the one-sided exact conditional binomial test of two Poisson counts. Under "same rate
-- in both quarters", the count of this quarter given the total of both is Binomial(n, 1/2), so
-- p = P(X >= this quarter's count | n = both counts). A rise is flagged when p < var
-- fenomenen_alfa. Equal exposure is assumed (the same gemeente, a quarter of the same length).
--
-- Disclosure: the test reads only what lokaal_beeld_kwartaal publishes (its cells went through
-- macros/disclosure), so the flag and the p-value are functions of published figures and reveal
-- nothing about a hidden cell. A previous count published as '<5' enters as 4, the largest
-- value it can be: that only makes p larger (conservative). A hidden count ('x') or a missing
-- quarter leaves the verdict open; a current count '<5' can never be a rise beyond chance at any
-- alfa below 1/16 (4 against 0 has p = 0.0625).
{%- set alfa = var('fenomenen_alfa') %}
{%- if alfa >= 0.0625 %}
    {{ exceptions.raise_compiler_error("fenomenen_alfa must be below 0.0625: a count '<5' could then be flagged") }}
{%- endif %}

-- Built per quarter (macros/platform/kwartalen.sql): a quarter's rows read that quarter and the
-- same quarter a year earlier.
{{ kwartaal_incrementeel() }}
-- depends_on: {{ ref('int_politie__kwartaal_stand') }}
with modi as (
    select * from {{ ref('lokaal_beeld_kwartaal') }}
    where uitsplitsing = 'modus'
    {%- if is_incremental() %}
        and (jaar, kwartaal) in {{ te_bouwen_kwartalen(met_jaar_ervoor=true) }}
    {%- endif %}
),

paren as (
    select
        h.*,
        v.aantal_weergave as vorig_weergave,
        v.aantal as vorig_aantal,
        case
            when v.aantal is not null then v.aantal
            when v.aantal_weergave = '<{{ var("disclosure_min_count") }}' then {{ var("disclosure_min_count") }} - 1
        end as x0
    from modi as h
    left join modi as v
        on v.niveau = h.niveau
       and v.gebied_code = h.gebied_code
       and v.waarde = h.waarde
       and v.jaar = h.jaar - 1
       and v.kwartaal = h.kwartaal
),

toetsen as (
    select niveau, gebied_code, periode, waarde, aantal as x1, x0, aantal + x0 as n
    from paren
    where aantal is not null and x0 is not null
),

-- ln(i!) for every i up to the largest n, as a running sum of ln(i).
faculteiten as (
    select i, sum(ln(greatest(i, 1)::float8)) over (order by i) as ln_fac
    from generate_series(0, (select coalesce(max(n), 0) from toetsen)) as i
),

-- p = sum over k from x1 to n of C(n, k) / 2^n.
p_waarden as (
    select
        t.niveau,
        t.gebied_code,
        t.periode,
        t.waarde,
        -- A term below e^-700 (about 1e-304) adds nothing and would underflow exp().
        least(sum(case when fn.ln_fac - fk.ln_fac - fr.ln_fac - t.n * ln(2::float8) > -700
                       then exp(fn.ln_fac - fk.ln_fac - fr.ln_fac - t.n * ln(2::float8)) else 0 end), 1) as p
    from toetsen as t
    cross join lateral generate_series(t.x1, t.n) as k
    join faculteiten as fn on fn.i = t.n
    join faculteiten as fk on fk.i = k
    join faculteiten as fr on fr.i = t.n - k
    group by t.niveau, t.gebied_code, t.periode, t.waarde
)

select
    {{ kwartaalcel_kolommen('p.') }},
    p.aantal::integer as aantal,
    p.aantal_weergave::text as aantal_weergave,
    p.onderdrukt::boolean as onderdrukt,
    p.vorig_aantal::integer as aantal_vorig_jaar,
    p.vorig_weergave::text as aantal_vorig_jaar_weergave,
    p.verandering_pct::numeric(8, 1) as verandering_pct,
    round(t.p::numeric, 4)::numeric(5, 4) as p_waarde,
    (case
        when t.p is not null then t.p < {{ alfa }}
        when p.aantal is null and p.aantal_weergave = '<{{ var("disclosure_min_count") }}' then false
    end)::boolean as opvallend,
    (case
        when t.p < {{ alfa }} then 'opvallende stijging'
        when t.p is not null then 'geen opvallende stijging'
        when p.aantal is null and p.aantal_weergave = '<{{ var("disclosure_min_count") }}' then 'te klein aantal'
        when p.aantal is null then 'niet te beoordelen: aantal verborgen'
        when p.vorig_weergave is null then 'niet te beoordelen: geen cijfers een jaar eerder'
        else 'niet te beoordelen: aantal een jaar eerder verborgen'
    end)::text as beoordeling
from paren as p
left join p_waarden as t
    on t.niveau = p.niveau
   and t.gebied_code = p.gebied_code
   and t.periode = p.periode
   and t.waarde = p.waarde
{%- if is_incremental() %}
where (p.jaar, p.kwartaal) in {{ te_bouwen_kwartalen() }}
{%- endif %}
