-- Which code a dbt run built with, and how many unit tests it passed, as `infopositie build` ran
-- it (infopositie/dbt.py: the on-run-end hook wrote the row, the caller adds these two). A unit
-- test checks a model's logic on rows written in its YAML, never on the warehouse's data: for the
-- same code it gives the same verdict. So `infopositie build` runs them again only when the code
-- changed since a full build passed them (`unit_tests_passed`); dbt Labs advises running unit
-- tests in development and CI only, this keeps them as the check of every new version of the code.
alter table audit.dbt_runs add column if not exists code_version text;
alter table audit.dbt_runs add column if not exists unit_tests integer not null default 0;
grant update (code_version, unit_tests) on audit.dbt_runs to transformer;
