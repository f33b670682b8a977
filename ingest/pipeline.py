"""From a file in the landing zone to a published raw partition (or quarantine), with audit.

Each file is one `Delivery` (ingest/delivery.py) that goes through these steps, one module each
in ingest/steps/:

1. receive       audit record, the feed's lock, a byte-identical earlier delivery recognised
2. read          the period from the file's name, the rows as text, JSON's file-level fields
3. type          values typed against the reference data
4. pseudonymise  identifiers hashed in a worker process (from step 2 on), ages banded
5. write         every row into a new table no reader can see, in threads, while ...
6. validate      ... every contract rule, a Great Expectations expectation, is checked; too many
                 bad rows refuse the file
7. audit         the rejected rows removed from the new table, the table checked
8. publish       the table attached as a partition of raw.<feed>, the period's earlier delivery superseded
9. keep          the original archived (or quarantined) with a report for the partner

Steps 5 to 8 are one transaction (write-audit-publish): readers see a delivery whole or not at
all. A `FileRefused` from any step sends the file to quarantine whole. Always: rows received =
rows loaded + rows rejected.

One file, one outcome: `loaded`, `quarantined`, `duplicate` or `aborted`. Anything else that goes
wrong while processing a file (a bug, a parser's crash, a failed COPY) quarantines it too, with a
reason that names an incident number and nothing of the file (ingest/incident.py; the technical
detail goes to the engineers' log under that number), and the run goes on with the next file. A
delivery whose loader died (crash, kill -9) stays 'processing' only until the next run takes
its feed's lock: it is then recorded `aborted`, its unpublished table dropped, and its file,
still waiting, processed again (step receive).
"""
from __future__ import annotations

import psycopg

from config import Role, load_settings
from ingest import audit, load
from ingest.contracts import all_contracts, contract_for_key, load_contract
from ingest.delivery import UNKNOWN_FEED, Delivery, DeliveryResult
from ingest.errors import FileRefused
from ingest.incident import internal_error
from ingest.landing import LandingZone
from ingest.landing.sealed import SealedStore
from ingest.pseudonymise import load_key
from ingest.raw_tables import ensure_raw_tables
from ingest.sealing import load_archive_key
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

    def sweep(self, feeds: list[str] | None = None) -> list[DeliveryResult]:
        """Deliveries whose loader died, of every feed no live loader holds: recorded 'aborted'."""
        contracts = {c.feed: c for c in all_contracts() if feeds is None or c.feed in feeds}
        with connect(self.url, role=Role.LOADER, autocommit=True) as conn:
            return _aborted(receive.sweep_idle_feeds(conn, contracts))

    def process(self, key: str) -> list[DeliveryResult]:
        """The file's outcome, preceded by any abandoned delivery of its feed found on the way;
        no outcome of its own when another loader took the file meanwhile."""
        contract = contract_for_key(key)
        feed = contract.feed if contract else UNKNOWN_FEED
        with connect(self.url, role=Role.LOADER, autocommit=True) as conn, \
                receive.feed_lock(conn, feed, contract) as aborted:
            results = _aborted(aborted)
            if not self.zone.exists(key):
                return results  # another loader of the same landing zone finished it
            delivery, problem = receive.arrive(conn, self.zone, key, contract)
            results.append(self._outcome(conn, delivery, problem))
            return results

    def _outcome(self, conn: psycopg.Connection, delivery: Delivery,
                 problem: FileRefused | Exception | None) -> DeliveryResult:
        try:
            if problem is not None:
                raise problem
            same = receive.same_bytes_as(conn, delivery)
            if same is not None:
                return keep.duplicate(conn, self.zone, delivery, same)
            self._load(conn, delivery)
        except FileRefused as refused:
            return self._quarantine(conn, delivery, refused)
        except Exception as err:  # noqa: BLE001 - one file, one outcome: see the module docstring
            return self._quarantine(conn, delivery, internal_error(conn, delivery.delivery_id, delivery.key, err))
        try:
            return keep.loaded(conn, self.zone, delivery)
        except Exception as err:  # noqa: BLE001 - published already; the original stays in landing
            # The next run recognises the same bytes as this loaded delivery (a duplicate).
            internal_error(conn, delivery.delivery_id, delivery.key, err)
            return DeliveryResult(delivery.delivery_id, delivery.key, delivery.feed, "loaded", delivery.rows_received,
                                  delivery.rows_loaded, delivery.rows_rejected, delivery.reasons, delivery.period)

    def _quarantine(self, conn: psycopg.Connection, delivery: Delivery, refused: FileRefused) -> DeliveryResult:
        try:
            return keep.quarantined(conn, self.zone, delivery, refused)
        except Exception as err:  # noqa: BLE001 - e.g. the connection broke with the load, or the move failed
            # Logged for the engineers; the partner's reason stays the refusal. The original may
            # stay in landing, and its next run is then a duplicate of this quarantined delivery.
            internal_error(None, delivery.delivery_id, delivery.key, err)
            with connect(self.url, role=Role.LOADER, autocommit=True) as fresh:
                status = audit.quarantine_if_processing(fresh, delivery.delivery_id, [refused.reason])
            return DeliveryResult(delivery.delivery_id, delivery.key, delivery.feed, status, 0, 0, 0,
                                  [refused.reason])

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


def _aborted(found: list[tuple[int, str]]) -> list[DeliveryResult]:
    results = []
    for delivery_id, key in found:
        contract = contract_for_key(key)
        results.append(DeliveryResult(delivery_id, key, contract.feed if contract else UNKNOWN_FEED, "aborted", 0, 0,
                                      0, [audit.ABORTED_REASON]))
    return results


def ingest_landing(zone: LandingZone, url: str, *, feeds: list[str] | None = None, progress: bool = False,
                   key: bytes | None = None, archive_key: bytes | None = None) -> list[DeliveryResult]:
    """Process every waiting file (optionally only those of some feeds), oldest name first.
    `key` is the pseudonymisation key, `archive_key` the key originals are sealed with; by default
    the ones the settings point to. Returns one result per file processed, after the deliveries
    found abandoned ('aborted')."""
    ensure_raw_tables(url, [load_contract(f) for f in feeds] if feeds else None)
    if key is None:
        key = load_key(load_settings().pseudonym_key_file)
    if not isinstance(zone, SealedStore):
        zone = SealedStore(zone, archive_key or load_archive_key(load_settings().archive_key_file))
    loader = FeedLoader(zone, url, key)
    results: list[DeliveryResult] = loader.sweep(feeds)
    keys = [k for k in zone.waiting() if feeds is None or (contract_for_key(k) and contract_for_key(k).feed in feeds)]
    iterator = keys
    if progress and keys:
        from tqdm import tqdm

        iterator = tqdm(keys, desc="ingest", unit="bestand")
    for k in iterator:
        results += loader.process(k)
    return results
