-- Audiences of the reporting layer: the region (reporter_regio, V001) and one role per basisteam,
-- reporter_<basisteam code in lower case, '-' as '_'> (MN-US1 -> reporter_mn_us1).
--
-- reference.audiences is the one mapping role -> basisteam -> gemeente, derived from the reference
-- data as valid today. The roles are created from it (audit.sync_audience_roles, called by
-- warehouse/migrate.py after every reference load) and the row-level security policies on
-- `reporting` are built from it by dbt (macros/security/apply_rls.sql), so that a new basisteam
-- or a gemeente moving to another basisteam changes access through the reference data alone.
create or replace view reference.audiences as
select
    'reporter_' || regexp_replace(lower(basisteam_code), '[^a-z0-9]+', '_', 'g') as rolname,
    basisteam_code,
    basisteam_naam,
    district,
    gemeentecode,
    gemeentenaam
from reference.gemeenten
where geldig_van <= current_date
  and (geldig_tot is null or geldig_tot > current_date);

grant select on reference.audiences to transformer;

-- Creates the missing basisteam roles (LOGIN without a password, like V001: production sets
-- passwords out of band) and makes every one of them a member of `reporter`, which holds the
-- grants on `reporting`. Roles of basisteams that disappeared are left alone (a dashboard
-- connection may still use them): with no policy of their own they see only region and
-- district aggregates. Returns the roles it created.
create or replace function audit.sync_audience_roles() returns setof text
language plpgsql
as $$
declare
    r record;
begin
    for r in select distinct rolname from reference.audiences order by rolname loop
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

-- Functions are executable by PUBLIC by default; this one is for the migration runner only.
revoke all on function audit.sync_audience_roles() from public;
