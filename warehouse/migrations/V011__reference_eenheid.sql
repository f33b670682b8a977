-- The police unit (politie-eenheid) each gemeente belongs to, so that one warehouse can hold more
-- than one region (a national view, or another unit's data beside ours): the `regio` level of the
-- reporting relations is one row per unit, not one constant. Nullable: a row without a unit
-- belongs to the project's own unit (dbt var regio_code), which keeps older reference files and
-- hand-made test rows meaning what they meant.
alter table reference.gemeenten add column if not exists eenheid_code text;
alter table reference.gemeenten add column if not exists eenheid_naam text;
