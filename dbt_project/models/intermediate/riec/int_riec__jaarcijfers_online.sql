-- Year-plan figures of goal 4 from the RIEC register, for every year with at least one snapshot:
--   riec_casussen_online             cases with an online component that reached fase casus in the year
--   districten_met_riec_casus_online the districts of those cases
--   bestuurlijke_rapportages         reports issued in the year on cases with an online component
--                                    (a lower bound in a year the register begins in)
-- One row per indicator and year (long form, like every int_*__jaarcijfers model).
with versies as (
    select * from {{ ref('int_riec__casus_fasen') }}
),

momentopnamen as (
    select
        casus_pseudoniem,
        peildatum,
        startdatum,
        online_component,
        bestuurlijke_rapportages
    from {{ ref('stg_riec__casussen') }}
),

jaren as (
    select
        extract(year from peildatum)::integer as jaar,
        min(peildatum) as eerste_peildatum,
        max(peildatum) as laatste_peildatum
    from momentopnamen
    group by 1
),

-- What the register says about a case now (its last version that is not a withdrawal):
-- corrections of district or online component count for the past too.
laatst_bekend as (
    select distinct on (casus_pseudoniem)
        casus_pseudoniem,
        district,
        online_component
    from versies
    where not is_ingetrokken
    order by casus_pseudoniem asc, geldig_van desc
),

-- When a case first reached fase casus: somewhere after the snapshot before the one that first
-- shows it (or after its start, when no snapshot precedes) and on or before that one. With
-- monthly snapshots that is one month; only when the window straddles a new year (a case already
-- in fase casus in the register's first snapshot) the year is unknown and the case is not counted.
casus_bereikt as (
    select distinct on (casus_pseudoniem)
        casus_pseudoniem,
        geldig_van as gezien_op,
        greatest(vorige_peildatum + 1, startdatum) as vanaf
    from versies
    where fase = 'casus'
    order by casus_pseudoniem, geldig_van
),

casussen_online as (
    select
        extract(year from b.gezien_op)::integer as jaar,
        b.casus_pseudoniem,
        l.district
    from casus_bereikt as b
    join laatst_bekend as l on l.casus_pseudoniem = b.casus_pseudoniem
    where l.online_component
      and extract(year from b.vanaf) = extract(year from b.gezien_op)
),

-- The counter is cumulative per case: the year's growth is its value on the year's last snapshot
-- minus its value on the previous year's last snapshot (0 for a case new in the year). When the
-- register begins in the year (no snapshot of the previous year) but covers it from January, the
-- counter of a case that started in the year still belongs to the year as a whole; for an older
-- case only its growth after its first snapshot of the year is certain, so the figure is a lower
-- bound. A year the register enters later than January has no figure.
stand as (
    select j.jaar, m.casus_pseudoniem, m.startdatum, m.online_component, m.bestuurlijke_rapportages
    from jaren as j
    join momentopnamen as m on m.peildatum = j.laatste_peildatum
),

eerste_stand as (
    select distinct on (extract(year from peildatum), casus_pseudoniem)
        extract(year from peildatum)::integer as jaar,
        casus_pseudoniem,
        bestuurlijke_rapportages
    from momentopnamen
    order by extract(year from peildatum), casus_pseudoniem, peildatum
),

rapportages as (
    select
        j.jaar,
        case when vj.jaar is not null or j.eerste_peildatum <= make_date(j.jaar, 1, 31) then
            coalesce(sum(nu.bestuurlijke_rapportages - case
                when vj.jaar is not null then coalesce(toen.bestuurlijke_rapportages, 0)
                when nu.startdatum >= make_date(j.jaar, 1, 1) then 0
                else eerste.bestuurlijke_rapportages
            end) filter (where nu.online_component), 0)
        end as groei
    from jaren as j
    left join jaren as vj on vj.jaar = j.jaar - 1
    left join stand as nu on nu.jaar = j.jaar
    left join stand as toen on toen.jaar = j.jaar - 1 and toen.casus_pseudoniem = nu.casus_pseudoniem
    left join eerste_stand as eerste on eerste.jaar = j.jaar and eerste.casus_pseudoniem = nu.casus_pseudoniem
    group by j.jaar, j.eerste_peildatum, vj.jaar
),

per_jaar as (
    select
        j.jaar,
        count(c.casus_pseudoniem) as casussen,
        count(distinct c.district) as districten
    from jaren as j
    left join casussen_online as c on c.jaar = j.jaar
    group by j.jaar
)

select 'riec_casussen_online' as indicator, jaar, casussen::numeric as realisatie from per_jaar
union all
select 'districten_met_riec_casus_online', jaar, districten::numeric from per_jaar
union all
select 'bestuurlijke_rapportages', r.jaar, r.groei::numeric from rapportages as r
