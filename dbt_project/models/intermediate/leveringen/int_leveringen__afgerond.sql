-- Every delivery the platform finished with (loaded, quarantined, duplicate), as the deliveries
-- dashboard counts them: one still being processed has no outcome yet, and an aborted one (its
-- loader died; the file was processed again as a new delivery) is no delivery of the partner's.
select
    delivery_id,
    feed,
    partner,
    periode,
    status,
    ontvangen_op,
    regels_ontvangen,
    regels_geladen,
    regels_afgekeurd,
    redenen
from {{ ref('stg_audit__deliveries') }}
where status in ('loaded', 'quarantined', 'duplicate')
