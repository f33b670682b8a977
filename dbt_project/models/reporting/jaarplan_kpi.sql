-- The year plan's monitor: per indicator and year its target, its realisation and a status.
-- Targets, baselines and target years come from the seeds (jaarplan_streefwaarden), never from
-- this SQL. Status rules:
--   no realisation                          -> 'geen data'
--   no target for the year                  -> status empty
--   yearly target, completed year           -> 'behaald' / 'niet behaald'
--   yearly target, running year             -> 'op koers' when the realisation reaches the target
--                                              times the share of the year that has passed, else 'achter'
--   multi-year target, years after the baseline year up to the target year
--                                           -> 'op koers' / 'achter' against the straight line from
--                                              baseline to target (richting decides up or down)
--   multi-year target, the target year      -> 'behaald' / 'niet behaald'
-- "Today" is the var `today` (a date, for tests and reruns of a past day), else current_date.
{%- set today = var('today', none) %}

with vandaag as (
    select
        {% if today %}'{{ today }}'::date{% else %}current_date{% endif %} as datum
),

peiljaar as (
    select
        extract(year from datum)::integer as jaar,
        -- Days completed before today, as a share of the year.
        (datum - make_date(extract(year from datum)::integer, 1, 1))::numeric
            / (make_date(extract(year from datum)::integer + 1, 1, 1)
               - make_date(extract(year from datum)::integer, 1, 1)) as verstreken_deel
    from vandaag
),

indicatoren as (
    select * from {{ ref('jaarplan_indicatoren') }}
),

streefwaarden as (
    select * from {{ ref('jaarplan_streefwaarden') }}
),

realisatie as (
    select * from {{ ref('int_kpi__realisatie') }}
),

basisteams as (
    select count(distinct basisteam_code) as aantal from {{ ref('dim_gemeente') }}
),

-- A target row that lacks what its kind needs would silently judge nothing: stop the build.
onvolledig as (
    select count(*) as aantal
    from streefwaarden
    where (soort = 'jaarlijks' and vanaf_jaar is null)
       or (soort = 'meerjarig' and (basisjaar is null or basiswaarde is null or tot_en_met_jaar is null
                                    or tot_en_met_jaar <= basisjaar or streefwaarde_regel <> 'vast'))
       or (streefwaarde_regel = 'vast' and streefwaarde is null)
       or (streefwaarde_regel = 'factor_maal_referentie' and (referentiewaarde is null or factor is null))
),

-- Every year in which any indicator has a realisation, up to the running year.
jaren as (
    select distinct r.jaar
    from realisatie as r
    cross join peiljaar as p
    where r.realisatie is not null
      and r.jaar <= p.jaar
),

doelen_per_jaar as (
    select
        s.indicator,
        j.jaar,
        s.richting,
        'jaarlijks' as beoordeling,
        case s.streefwaarde_regel
            when 'vast' then s.streefwaarde
            when 'factor_maal_referentie' then round(s.referentiewaarde * s.factor, 2)
            when 'alle_basisteams' then b.aantal
        end as streefwaarde
    from streefwaarden as s
    cross join basisteams as b
    join jaren as j on j.jaar >= s.vanaf_jaar and (s.tot_en_met_jaar is null or j.jaar <= s.tot_en_met_jaar)
    where s.soort = 'jaarlijks'

    union all

    select
        s.indicator,
        j.jaar,
        s.richting,
        case when j.jaar = s.tot_en_met_jaar then 'doeljaar' else 'tussenjaar' end,
        case
            when j.jaar = s.tot_en_met_jaar then s.streefwaarde
            else round(s.basiswaarde + (s.streefwaarde - s.basiswaarde)
                       * (j.jaar - s.basisjaar) / (s.tot_en_met_jaar - s.basisjaar), 2)
        end
    from streefwaarden as s
    join jaren as j on j.jaar > s.basisjaar and j.jaar <= s.tot_en_met_jaar
    where s.soort = 'meerjarig'
),

beoordeeld as (
    select
        i.doel,
        i.indicator,
        i.beschrijving,
        j.jaar,
        d.streefwaarde,
        r.realisatie,
        case
            when r.realisatie is null then 'geen data'
            when d.streefwaarde is null then null
            when d.beoordeling = 'jaarlijks' and j.jaar = p.jaar then
                case when (d.richting = 'minimaal' and r.realisatie >= d.streefwaarde * p.verstreken_deel)
                       or (d.richting = 'maximaal' and r.realisatie <= d.streefwaarde * p.verstreken_deel)
                     then 'op koers' else 'achter' end
            when d.beoordeling = 'tussenjaar' then
                case when (d.richting = 'minimaal' and r.realisatie >= d.streefwaarde)
                       or (d.richting = 'maximaal' and r.realisatie <= d.streefwaarde)
                     then 'op koers' else 'achter' end
            -- Otherwise the year is judged for good (a completed yearly target, or the target year).
            when (d.richting = 'minimaal' and r.realisatie >= d.streefwaarde)
                or (d.richting = 'maximaal' and r.realisatie <= d.streefwaarde)
                then 'behaald'
            else 'niet behaald'
        end as status
    from indicatoren as i
    cross join jaren as j
    cross join peiljaar as p
    left join realisatie as r on r.indicator = i.indicator and r.jaar = j.jaar
    left join doelen_per_jaar as d on d.indicator = i.indicator and d.jaar = j.jaar
)

select
    doel::integer as doel,
    indicator::text as indicator,
    beschrijving::text as beschrijving,
    jaar::integer as jaar,
    -- Without trailing zeros: 935, not 935.00, and 14.95 stays 14.95.
    trim_scale(streefwaarde)::numeric as streefwaarde,
    trim_scale(realisatie)::numeric as realisatie,
    status::text as status
from beoordeeld
-- Fail closed on an incomplete target row instead of publishing statuses without it.
where (
    select case when onvolledig.aantal > 0 then (
        'jaarplan_streefwaarden: ' || onvolledig.aantal
        || ' row(s) lack what their soort or streefwaarde_regel needs'
    )::integer end
    from onvolledig
) is null
