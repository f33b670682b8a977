-- Audiences of the district werkgroepen: one reporter role per police district,
-- reporter_district_<district name in lower case, every run of non-alphanumerics as '_'>
-- (Gooi en Vechtstreek -> reporter_district_gooi_en_vechtstreek).
--
-- Like the basisteam roles (V006) they are derived from the reference data as valid today, so a
-- new district or a gemeente moving to another district changes roles and access through
-- warehouse/reference/gemeenten.csv alone: the roles are created by audit.sync_audience_roles()
-- after every reference load, and dbt's apply_rls builds each district's row-level security
-- policy from this view (its gemeenten and basisteams).
create or replace view reference.district_audiences as
select
    'reporter_district_' || regexp_replace(lower(district), '[^a-z0-9]+', '_', 'g') as rolname,
    district,
    basisteam_code,
    gemeentecode,
    gemeentenaam
from reference.gemeenten
where geldig_van <= current_date
  and (geldig_tot is null or geldig_tot > current_date);

grant select on reference.district_audiences to transformer;

-- Replaces V006's function: the same for the basisteam roles, now also for the district roles.
-- Missing roles are created (LOGIN without a password, production sets passwords out of band),
-- every one is made a member of `reporter` (the grants on `reporting`). Roles of audiences that
-- disappeared are left alone: without a policy of their own they see only region and district
-- aggregates. Returns the roles it created.
create or replace function audit.sync_audience_roles() returns setof text
language plpgsql
as $$
declare
    r record;
begin
    for r in select rolname from reference.audiences
             union
             select rolname from reference.district_audiences
             order by rolname loop
        if not exists (select 1 from pg_roles where rolname = r.rolname) then
            begin
                execute format('create role %I login', r.rolname);
                return next r.rolname;
            exception when duplicate_object or unique_violation then
                -- Another database on the same server created it first: roles are cluster-wide.
                null;
            end;
        end if;
        execute format('grant reporter to %I', r.rolname);
        execute format('grant connect on database %I to %I', current_database(), r.rolname);
    end loop;
end $$;

revoke all on function audit.sync_audience_roles() from public;
