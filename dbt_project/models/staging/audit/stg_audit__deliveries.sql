with deliveries as (
    select * from {{ source('audit', 'deliveries') }}
)

select
    delivery_id,
    feed,
    partner,
    file_name,
    period as periode,
    status,
    received_at as ontvangen_op,
    finished_at as verwerkt_op,
    rows_received as regels_ontvangen,
    rows_loaded as regels_geladen,
    rows_rejected as regels_afgekeurd,
    reasons as redenen,
    superseded_by as vervangen_door,
    is_current as is_actueel
from deliveries
