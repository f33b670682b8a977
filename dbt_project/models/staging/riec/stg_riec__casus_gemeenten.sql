-- One row per gemeente a case involves, per snapshot: the list column of stg_riec__casussen
-- unnested, so that cases can be joined to gemeenten (and tested against the reference).
select
    c.casus_pseudoniem,
    c.peildatum,
    gemeente.gemeentecode,
    c.district
from {{ ref('stg_riec__casussen') }} as c
cross join lateral unnest(c.gemeentecodes) as gemeente (gemeentecode)
