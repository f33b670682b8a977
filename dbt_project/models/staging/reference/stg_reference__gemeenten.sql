-- The organisation as it is today: every period is reported in the current basisteam and
-- district composition, so that a series (and its change against last year) compares like with
-- like. reference.gemeenten keeps the history for whoever needs another view.
with gemeenten as (
    select * from {{ source('reference', 'gemeenten') }}
)

select
    gemeentecode,
    gemeentenaam,
    provincie as provinciecode,
    veiligheidsregio as veiligheidsregiocode,
    eenheid_code,
    eenheid_naam,
    district,
    basisteam_code,
    basisteam_naam,
    inwoners_circa,
    district_verified as district_bevestigd,
    geldig_van
from gemeenten
where geldig_van <= current_date
  and (geldig_tot is null or geldig_tot > current_date)
