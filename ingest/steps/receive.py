"""Step 1, receive: a file gets its audit record, its feed's lock, and is recognised when an
earlier delivery had the same bytes."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import PurePosixPath

import psycopg

from ingest import audit, load
from ingest.contracts import contract_for_key
from ingest.delivery import UNKNOWN_FEED, Delivery


def record(conn: psycopg.Connection, key: str, data: bytes) -> Delivery:
    """The delivery as it arrived, recorded in audit.deliveries (event "received")."""
    contract = contract_for_key(key)
    folder = contract.partner_for_key(key) if contract else None
    sha256 = hashlib.sha256(data).hexdigest()
    delivery_id = audit.start_delivery(conn, feed=contract.feed if contract else UNKNOWN_FEED, partner=folder,
                                       object_key=key, file_name=PurePosixPath(key).name, sha256=sha256,
                                       size_bytes=len(data))
    return Delivery(key=key, data=data, sha256=sha256, contract=contract, folder=folder, delivery_id=delivery_id,
                    received_at=datetime.now(UTC))


@contextmanager
def claim(conn: psycopg.Connection, key: str) -> Iterator[None]:
    """One run at a time per waiting file: two ingest runs over the same landing zone (a manual
    run beside the scheduled one) would otherwise both read it, and the second would record it
    again or find it gone mid-way. The run that waited then finds it gone and leaves it be."""
    lock = f"infopositie.key.{key}"
    conn.execute("select pg_advisory_lock(hashtext(%s))", (lock,))
    try:
        yield
    finally:
        conn.execute("select pg_advisory_unlock(hashtext(%s))", (lock,))


@contextmanager
def feed_lock(conn: psycopg.Connection, delivery: Delivery) -> Iterator[None]:
    """One loader per feed at a time: duplicate and supersede decisions must not race. Holding
    the lock, tables left by a loader of this feed that died before publishing are dropped (no
    other load of the feed can be writing one now)."""
    lock = f"infopositie.ingest.{delivery.feed}"
    conn.execute("select pg_advisory_lock(hashtext(%s))", (lock,))
    try:
        if delivery.contract is not None:
            load.sweep_unpublished(conn, delivery.contract)
        yield
    finally:
        conn.execute("select pg_advisory_unlock(hashtext(%s))", (lock,))


def same_bytes_as(conn: psycopg.Connection, delivery: Delivery) -> int | None:
    """The earlier delivery (loaded or quarantined) of this feed and partner with exactly these
    bytes, if any."""
    return audit.find_same_bytes(conn, delivery.feed, delivery.folder, delivery.sha256, delivery.delivery_id)
