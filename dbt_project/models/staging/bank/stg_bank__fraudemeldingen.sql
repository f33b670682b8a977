-- Monthly counts of the *current* delivery per partner and month: a corrected month supersedes
-- that partner's earlier delivery. The partner is the folder the file was delivered in (ingest
-- refuses a file whose own partner field differs), so it comes from the audit trail.
with meldingen as (
    select * from {{ source('bank', 'fraudemeldingen') }}
),

actuele_leveringen as (
    select
        delivery_id,
        partner,
        period,
        -- Guarded: Postgres may evaluate this on other feeds' periods (2025-Q1) before the feed
        -- filter; a malformed period becomes empty and fails the not_null test instead.
        case when period ~ '^[0-9]{4}-[0-9]{2}$' then to_date(period || '-01', 'YYYY-MM-DD') end as maand
    from ({{ actuele_leveringen('fraudemeldingen') }}) as leveringen
)

select
    l.partner,
    m.delivery_id,
    m.line_number as regelnummer,
    l.period as periode,
    l.maand,
    extract(year from l.maand)::integer as jaar,
    extract(quarter from l.maand)::integer as kwartaal,
    m.gemeente as gemeentecode,
    m.fraudetype,
    {{ categorie_voor_modus('m.fraudetype') }} as categorie,
    m.meldingen,
    m.gedupeerden,
    -- Euros arrive as a JSON number (double precision in raw); money is kept exact from here on.
    round(m.schade_eur::numeric, 2)::numeric(14, 2) as schade_eur
from meldingen as m
join actuele_leveringen as l on l.delivery_id = m.delivery_id
