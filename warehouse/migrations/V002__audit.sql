-- The audit trail: every delivery (file) and everything that happened to it.
create table if not exists audit.deliveries (
    delivery_id    bigint generated always as identity primary key,
    feed           text        not null,
    partner        text,
    object_key     text        not null,        -- where the partner dropped it
    file_name      text        not null,
    sha256         text        not null,
    size_bytes     bigint      not null,
    received_at    timestamptz not null default now(),
    period         text,                        -- the period the file covers (feed-specific form)
    status         text        not null default 'processing'
                   check (status in ('processing', 'loaded', 'quarantined', 'duplicate')),
    rows_received  integer,
    rows_loaded    integer,
    rows_rejected  integer,
    reasons        jsonb       not null default '[]'::jsonb,
    stored_key     text,                        -- archive or quarantine location of the original
    report_key     text,                        -- the partner-readable report, if any
    duplicate_of   bigint references audit.deliveries,
    superseded_by  bigint references audit.deliveries,
    is_current     boolean     not null default false,
    finished_at    timestamptz,
    processed_by   text        not null default current_user,
    constraint counts_add_up check (
        status not in ('loaded', 'quarantined')
        or rows_received is null
        or rows_received = rows_loaded + rows_rejected
    )
);
-- At most one current delivery per feed and period: the newest delivery wins.
create unique index if not exists deliveries_current_period
    on audit.deliveries (feed, coalesce(partner, ''), period) where is_current;
create index if not exists deliveries_sha on audit.deliveries (feed, sha256);

create table if not exists audit.rejected_rows (
    delivery_id  bigint  not null references audit.deliveries,
    line_number  integer not null,              -- line in the original file (header = 1)
    reasons      text[]  not null,              -- Dutch, partner-readable
    record       jsonb   not null,              -- the row as stored: pseudonymised, never-store fields dropped
    primary key (delivery_id, line_number)
);

create table if not exists audit.events (
    event_id     bigint generated always as identity primary key,
    delivery_id  bigint references audit.deliveries,
    at           timestamptz not null default now(),
    actor        text        not null default current_user,
    event        text        not null,
    detail       jsonb       not null default '{}'::jsonb
);

grant select, insert, update on audit.deliveries, audit.rejected_rows, audit.events to loader;
grant select on audit.deliveries to transformer;
