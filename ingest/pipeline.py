"""From a file in the landing zone to a published raw partition (or quarantine), with audit.

Each file is one `Delivery` (ingest/delivery.py) that goes through these steps, one module each
in ingest/steps/:

1. receive       audit record, the feed's lock, a byte-identical earlier delivery recognised
2. read          the period from the file's name, the rows as text, JSON's file-level fields
3. type          values typed against the reference data
4. pseudonymise  identifiers hashed in a worker process (from step 2 on), ages banded
5. write         every row into a new table no reader can see, in threads, while ...
6. validate      ... Great Expectations checks every contract rule; too many bad rows refuse the file
7. audit         the rejected rows removed from the new table, the table checked
8. publish       the table attached as a partition of raw.<feed>, the period's earlier delivery superseded
9. keep          the original archived (or quarantined) with a report for the partner

Steps 5 to 8 are one transaction (write-audit-publish): readers see a delivery whole or not at
all. A `FileRefused` from any step sends the file to quarantine whole. Always: rows received =
rows loaded + rows rejected.
"""
from __future__ import annotations

import psycopg

from config import Role, load_settings
from ingest import load
from ingest.contracts import contract_for_key, load_contract
from ingest.delivery import Delivery, DeliveryResult
from ingest.errors import FileRefused
from ingest.landing import LandingZone
from ingest.pseudonymise import load_key
from ingest.raw_tables import ensure_raw_tables
from ingest.steps import audit_table, keep, pseudonymise, publish, read, receive, type_values, validate, write
from ingest.steps.read import period_of
from ingest.steps.type_values import load_reference
from warehouse.connection import connect

__all__ = ["DeliveryResult", "FeedLoader", "ingest_landing", "load_reference", "period_of"]


class FeedLoader:
    """Processes the files of one landing zone into one warehouse."""

    def __init__(self, zone: LandingZone, url: str, key: bytes) -> None:
        self.zone = zone
        self.url = url
        self.key = key
        self.hasher = pseudonymise.Hasher(key)

    def process(self, key: str) -> DeliveryResult | None:
        """None: another run processed the file while this one waited for it."""
        with connect(self.url, role=Role.LOADER, autocommit=True) as conn, receive.claim(conn, key):
            if not self.zone.exists(key):
                return None
            data = self.zone.read(key)
            delivery = receive.record(conn, key, data)
            with receive.feed_lock(conn, delivery):
                same = receive.same_bytes_as(conn, delivery)
                if same is not None:
                    return keep.duplicate(conn, self.zone, delivery, same)
                try:
                    self._load(conn, delivery)
                except FileRefused as refused:
                    return keep.quarantined(conn, self.zone, delivery, refused)
                return keep.loaded(conn, self.zone, delivery)

    def _load(self, conn: psycopg.Connection, delivery: Delivery) -> None:
        read.read(delivery, self.hasher.early(delivery))
        pseudonymise.start(delivery, self.hasher)
        type_values.others(conn, delivery)
        try:
            with conn.transaction():
                with write.Writing(conn, self.url, delivery):
                    type_values.identifiers(delivery)
                    validate.validate(delivery)
                validate.record(conn, delivery)
                pseudonymise.keep_rejected(delivery)
                validate.refuse_beyond_tolerance(delivery)  # rolls back what was written
                audit_table.check(conn, delivery)
                publish.publish(conn, delivery)
        except BaseException:
            # A large delivery's new table lives outside the publishing transaction: nothing of
            # a load that did not publish may stay behind.
            load.discard(self.url, delivery.known_contract, delivery.delivery_id, Role.LOADER)
            raise


def ingest_landing(zone: LandingZone, url: str, *, feeds: list[str] | None = None, progress: bool = False,
                   key: bytes | None = None) -> list[DeliveryResult]:
    """Process every waiting file (optionally only those of some feeds), oldest name first.
    `key` is the pseudonymisation key; by default the one the settings point to."""
    ensure_raw_tables(url, [load_contract(f) for f in feeds] if feeds else None)
    if key is None:
        key = load_key(load_settings().pseudonym_key_file)
    loader = FeedLoader(zone, url, key)
    keys = [k for k in zone.waiting() if feeds is None or (contract_for_key(k) and contract_for_key(k).feed in feeds)]
    results: list[DeliveryResult] = []
    iterator = keys
    if progress and keys:
        from tqdm import tqdm

        iterator = tqdm(keys, desc="ingest", unit="bestand")
    for k in iterator:
        result = loader.process(k)
        if result is not None:
            results.append(result)
    return results
