-- Layers, one schema each. Data flows one way: raw -> staging -> intermediate -> marts -> reporting.
-- `reporting` is the only schema dashboards read, and everything in it is disclosure-controlled.
create schema if not exists reference;
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists reporting;
create schema if not exists audit;

-- Roles are cluster-wide; create them only when missing so that several databases on one
-- server (tests, demo) can share them. LOGIN without a password: production sets passwords
-- out of band (secrets), the embedded default uses trust on loopback only.
do $$
declare r text;
begin
  foreach r in array array['loader', 'transformer', 'reader', 'reporter', 'reporter_regio'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      execute format('create role %I login', r);
    end if;
  end loop;
end $$;
-- Every audience's reporter role is a member of `reporter` and inherits its grants.
grant reporter to reporter_regio;

-- Nobody gets anything through PUBLIC.
revoke all on schema public from public;
do $$ begin execute format('revoke all on database %I from public', current_database()); end $$;
do $$ begin execute format('grant connect on database %I to loader, transformer, reader, reporter, reporter_regio', current_database()); end $$;

-- loader: writes raw feed tables and the audit trail; reads reference data for validation.
grant usage on schema reference, audit to loader;
grant usage, create on schema raw to loader;

-- transformer (dbt): reads raw, reference and audit; owns everything downstream.
grant usage on schema raw, reference, audit to transformer;
grant usage, create on schema staging, intermediate, marts, reporting to transformer;

-- reader (analysts): the marts and the reporting layer, never raw.
grant usage on schema marts, reporting to reader;

-- reporter (dashboards, per audience): the reporting layer only.
grant usage on schema reporting to reporter;

-- Tables created later inherit the right grants, whoever creates them.
alter default privileges for role loader in schema raw grant select on tables to transformer;
alter default privileges for role transformer in schema marts grant select on tables to reader;
alter default privileges for role transformer in schema reporting grant select on tables to reader, reporter;
