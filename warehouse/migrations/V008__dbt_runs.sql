-- The transformation's own log: one row per dbt invocation that builds (build, run, test, seed),
-- written by dbt's on-run-end hook (dbt_project/macros/platform/record_dbt_run.sql) as the
-- transformer. A failing data test in one feed's models skips only what depends on it; this row
-- is how that failure reaches `infopositie platform status` and the deliveries dashboard instead of
-- leaving a stale picture in silence. It holds names of models and tests from the project and
-- counts, never data.
create table if not exists audit.dbt_runs (
    invocation_id   text        primary key,
    command         text        not null,                 -- build, run, test, seed
    selection       text,                                 -- the --select of the run; null: everything
    started_at      timestamptz,
    finished_at     timestamptz not null default now(),
    status          text        not null check (status in ('geslaagd', 'mislukt')),
    nodes_ok        integer     not null default 0,
    nodes_failed    integer     not null default 0,       -- models, tests and seeds that failed or errored
    nodes_skipped   integer     not null default 0,       -- skipped because something upstream failed
    failed_nodes    text[]      not null default '{}',    -- names of the failed models and tests
    actor           text        not null default current_user
);
create index if not exists dbt_runs_finished on audit.dbt_runs (finished_at desc);

grant select, insert on audit.dbt_runs to transformer;
grant select on audit.dbt_runs to loader;
