-- Retention (ingest/retention.py, `infopositie retention apply`, the daily `retention` DAG) and the
-- sealed originals (ingest/sealing.py). Runs as the loader role: it owns the raw partitions it
-- drops and writes the audit trail; nothing downstream is touched here (dbt rebuilds it from raw).

-- When a delivery's kept original (sealed) was deleted, and when its rows left the warehouse.
alter table audit.deliveries add column if not exists original_deleted_at timestamptz;
alter table audit.deliveries add column if not exists purged_at timestamptz;
-- A delivery ingested again from its kept original by `infopositie reprocess`.
alter table audit.deliveries add column if not exists reprocess_of bigint references audit.deliveries;

-- Every purge: what went (a raw partition, rejected rows, a kept original or report), how many
-- rows, under which rule, and which database role did it.
create table if not exists audit.purges (
    purge_id      bigint      generated always as identity primary key,
    at            timestamptz not null default now(),
    actor         text        not null default current_user,
    feed          text        not null,
    delivery_id   bigint      references audit.deliveries,
    what          text        not null,          -- e.g. raw.politie_registraties_d12, audit.rejected_rows, archive/...
    rows_removed  bigint      not null default 0,
    rule          text        not null           -- 'retention_years=5' or 'archive_days=90'
                  check (rule ~ '^(retention_years|archive_days)=[0-9]+$'),
    as_of         date        not null           -- the day the rule was applied for (--today)
);
create index if not exists purges_delivery on audit.purges (delivery_id);

-- While a kept original is ingested again, its bytes are not a duplicate of themselves.
create table if not exists audit.reprocess_requests (
    request_id     bigint      generated always as identity primary key,
    feed           text        not null,
    sha256         text        not null,
    original       bigint      not null references audit.deliveries,
    requested_at   timestamptz not null default now(),
    done_at        timestamptz,
    actor          text        not null default current_user
);

grant select, insert on audit.purges to loader;
grant select, insert, update on audit.reprocess_requests to loader;
-- Retention removes expired rejected rows (nothing else may).
grant delete on audit.rejected_rows to loader;
grant select on audit.purges to transformer;
