"""Step 1, receive: under its feed's lock, a file gets its audit record (read only if its size
is within the feed's maximum) and is recognised when an earlier delivery had the same bytes.

The lock comes first: a delivery is 'processing' only while the loader that recorded it holds
its feed's lock, so whoever takes the lock and still finds one processing knows that its loader
died (a crash, kill -9) and records it 'aborted'; the file, still in landing, is then processed
again. Its unpublished table is dropped in the same breath, so no partial row survives."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import PurePosixPath

import psycopg

from ingest import audit, load
from ingest.contracts import Contract, all_contracts
from ingest.delivery import UNKNOWN_FEED, Delivery
from ingest.errors import FileRefused
from ingest.landing import LandingZone

Aborted = list[tuple[int, str]]  # delivery id, object key


def max_bytes(contract: Contract | None) -> int:
    """A file outside every feed's folder is refused anyway; it may be as large as any feed's."""
    return contract.max_file_bytes if contract else max(c.max_file_bytes for c in all_contracts())


def arrive(conn: psycopg.Connection, zone: LandingZone, key: str,
           contract: Contract | None) -> tuple[Delivery, FileRefused | Exception | None]:
    """The delivery as it arrived, recorded in audit.deliveries (event "received"), and what
    already stops it: a size beyond the feed's maximum (the file is then not read at all), or
    a landing store that could not give its bytes."""
    problem: FileRefused | Exception | None = None
    data: bytes | None = None
    size = 0
    limit = max_bytes(contract)
    try:
        size = zone.size(key)
        if size <= limit:
            data = zone.read(key)
            size = len(data)
    except Exception as err:  # noqa: BLE001 - recorded and reported as an internal error
        problem = err
    if problem is None and (data is None or size > limit):  # grown after its size was checked
        data = None
        problem = FileRefused(
            f"Het bestand is {size / 1_000_000:.1f} MB; de afspraak voor deze gegevensstroom is ten hoogste "
            f"{limit // 1_000_000} MB. Het is niet gelezen. Lever de gegevens in kleinere bestanden of "
            "neem contact op met het team Infopositie.")
    folder = contract.partner_for_key(key) if contract else None
    sha256 = hashlib.sha256(data).hexdigest() if data is not None else None
    delivery_id = audit.start_delivery(conn, feed=contract.feed if contract else UNKNOWN_FEED, partner=folder,
                                       object_key=key, file_name=PurePosixPath(key).name, sha256=sha256,
                                       size_bytes=size)
    delivery = Delivery(key=key, data=data or b"", sha256=sha256, contract=contract, folder=folder,
                        delivery_id=delivery_id, received_at=datetime.now(UTC))
    return delivery, problem


def _lock_name(feed: str) -> str:
    return f"infopositie.ingest.{feed}"


def _sweep(conn: psycopg.Connection, feed: str, contract: Contract | None) -> Aborted:
    """Holding the feed's lock: the deliveries of loaders that died become 'aborted' and their
    unpublished tables are dropped (no other load of the feed can be writing one now)."""
    aborted = audit.abort_abandoned(conn, feed)
    if contract is not None:
        load.sweep_unpublished(conn, contract)
    return aborted


@contextmanager
def feed_lock(conn: psycopg.Connection, feed: str, contract: Contract | None) -> Iterator[Aborted]:
    """One loader per feed at a time: duplicate and supersede decisions must not race. Yields
    the deliveries it found abandoned (now 'aborted')."""
    lock = _lock_name(feed)
    conn.execute("select pg_advisory_lock(hashtext(%s))", (lock,))
    try:
        yield _sweep(conn, feed, contract)
    finally:
        conn.execute("select pg_advisory_unlock(hashtext(%s))", (lock,))


def sweep_idle_feeds(conn: psycopg.Connection, contracts: dict[str, Contract]) -> Aborted:
    """At the start of a run: abandoned deliveries of every feed no live loader holds, also
    when their file is no longer waiting. A feed being loaded right now is left to its loader's
    successor (its lock is taken, so it is skipped)."""
    aborted: Aborted = []
    for feed in audit.feeds_processing(conn):
        lock = _lock_name(feed)
        if not conn.execute("select pg_try_advisory_lock(hashtext(%s))", (lock,)).fetchone()[0]:
            continue
        try:
            aborted += _sweep(conn, feed, contracts.get(feed))
        finally:
            conn.execute("select pg_advisory_unlock(hashtext(%s))", (lock,))
    return aborted


def same_bytes_as(conn: psycopg.Connection, delivery: Delivery) -> int | None:
    """The earlier delivery (loaded or quarantined) of this feed and partner with exactly these
    bytes, if any."""
    return audit.find_same_bytes(conn, delivery.feed, delivery.folder, delivery.sha256, delivery.delivery_id)
