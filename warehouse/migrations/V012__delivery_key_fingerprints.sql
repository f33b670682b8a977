-- The keys a contract declares corrected across periods (the police registration number), one
-- row per delivery and key column: the first 64 bits of each loaded row's pseudonym, as
-- big-endian int8 values one after the other (ingest/corrections.py). The ingest tells a partner
-- how many rows of a new file re-deliver a record of another current delivery; comparing these
-- in memory costs milliseconds, where joining the new partition's pseudonyms against every current
-- one cost more CPU than any other step of a large load, and grew with the history.
-- Derived from pseudonyms only; never granted beyond the loader; deleted with the delivery's rows
-- (retention) and when the delivery is superseded (it is never compared again).
create table if not exists audit.delivery_keys (
    delivery_id   bigint not null references audit.deliveries,
    column_name   text   not null,
    fingerprints  bytea  not null,
    primary key (delivery_id, column_name)
);
-- Random bits do not compress: skip the attempt.
alter table audit.delivery_keys alter column fingerprints set storage external;

grant select, insert, delete on audit.delivery_keys to loader;
