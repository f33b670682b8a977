-- Every file is a full snapshot of the case register on its reference date (the delivery
-- period, JJJJ-MM-DD). All current snapshots are kept side by side: the history of a case
-- (its phase on any date, its withdrawal) is the sequence of snapshots and is built on top of
-- this model, not here. A snapshot redelivered for the same date supersedes the earlier one.
with casussen as (
    select * from {{ source('riec', 'casussen') }}
),

momentopnamen as (
    select
        delivery_id,
        -- Guarded: Postgres may evaluate this on other feeds' periods (2025-Q1) before the feed
        -- filter; a malformed period becomes empty and fails the not_null test instead.
        case when period ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then period::date end as peildatum
    from ({{ actuele_leveringen('riec_casussen') }}) as leveringen
)

select
    c.casusnummer_pseudoniem as casus_pseudoniem,
    m.peildatum,
    c.delivery_id,
    c.line_number as regelnummer,
    c.fase,
    c.startdatum,
    c.einddatum,
    c.district,
    c.gemeenten as gemeentecodes,
    c.online_component,
    c.fenomeen,
    c.bestuurlijke_rapportages,
    c.interventies
from casussen as c
join momentopnamen as m on m.delivery_id = c.delivery_id
