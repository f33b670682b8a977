-- The realisation of every year-plan indicator per year, one row per indicator and year in which
-- its source has data (realisatie null where the source has the year but not the value).
select indicator, jaar, realisatie from {{ ref('int_kpi__informatiebeelden') }}
union all
select indicator, jaar, realisatie from {{ ref('int_kpi__veiligheidsmonitor') }}
union all
select indicator, jaar, realisatie from {{ ref('int_kpi__politie') }}
union all
select indicator, jaar, realisatie from {{ ref('int_activiteiten__jaarcijfers') }}
union all
select indicator, jaar, realisatie from {{ ref('int_kpi__om_instroom') }}
union all
select indicator, jaar, realisatie from {{ ref('int_riec__jaarcijfers_online') }}
