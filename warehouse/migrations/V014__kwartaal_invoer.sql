-- What each quarterly model of the police feed was last built from, per quarter (the macros in
-- dbt_project/macros/platform/kwartalen.sql write it in the model's own transaction). A build then
-- recomputes only the quarters whose input changed since: the registrations of the quarter and of
-- the same quarter a year earlier (year-on-year columns), whether both are complete, and what every
-- quarter shares (gebieden, breakdown values), as int_politie__kwartaal_stand fingerprints them.
-- `code_version` is the dbt project's digest the build ran with (infopositie/dbt.py and
-- dags/dbt_build.py pass it as the session setting infopositie.code_version); a build without it,
-- or with other code, recomputes every quarter.
create table if not exists audit.kwartaal_invoer (
    model text not null,
    jaar integer not null,
    kwartaal integer not null,
    stand text not null,
    code_version text,
    gewijzigd_op timestamptz not null default now(),
    primary key (model, jaar, kwartaal)
);
grant select, insert, update, delete on audit.kwartaal_invoer to transformer;
