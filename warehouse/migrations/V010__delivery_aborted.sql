-- One file, one outcome (ingest/pipeline.py): a delivery whose loader died (crash, kill -9) is
-- recorded 'aborted' by the next run, which processes the file again as a new delivery.
-- 'processing' remains only while a live loader holds the feed's lock.
alter table audit.deliveries drop constraint if exists deliveries_status_check;
alter table audit.deliveries add constraint deliveries_status_check
    check (status in ('processing', 'loaded', 'quarantined', 'duplicate', 'aborted'));
-- A file larger than its feed's maximum is refused from its size alone, before a byte is read:
-- it has no checksum.
alter table audit.deliveries alter column sha256 drop not null;
