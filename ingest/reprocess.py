"""Ingest a kept delivery again from its sealed original (`infopositie reprocess DELIVERY_ID`).

The original is opened in memory only and offered to the pipeline under its landing key
(`SealedStore.stage`), so its plain bytes never touch a disk. It runs through every step as a new
delivery (new audit record, `reprocess_of` pointing at the first): for its period it becomes the
current delivery, and its original is sealed again under its own id. While it runs, the same bytes
are not refused as a duplicate of themselves (audit.reprocess_requests).
"""
from __future__ import annotations

import hashlib

from config import Role
from ingest.delivery import DeliveryResult
from ingest.landing.sealed import SealedStore
from ingest.pipeline import FeedLoader
from warehouse.connection import connect


class CannotReprocess(RuntimeError):
    pass


def reprocess(url: str, store: SealedStore, delivery_id: int, key: bytes) -> DeliveryResult:
    """`key` is the pseudonymisation key; the store carries the archive key."""
    with connect(url, role=Role.LOADER, autocommit=True) as conn:
        row = conn.execute("select feed, object_key, sha256, stored_key, original_deleted_at, status"
                           " from audit.deliveries where delivery_id = %s", (delivery_id,)).fetchone()
        if row is None:
            raise CannotReprocess(f"no delivery {delivery_id} in the audit trail")
        feed, object_key, sha256, stored_key, deleted_at, status = row
        if status == "duplicate":
            raise CannotReprocess(f"delivery {delivery_id} is a duplicate; reprocess the delivery it repeats")
        if stored_key is None or deleted_at is not None:
            raise CannotReprocess(f"the original of delivery {delivery_id} is no longer kept "
                                  f"(deleted {deleted_at:%Y-%m-%d})" if deleted_at else
                                  f"delivery {delivery_id} has no kept original")
        data = store.open(stored_key, delivery_id)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise CannotReprocess(f"the kept original of delivery {delivery_id} is not the file received")
        request = conn.execute("insert into audit.reprocess_requests (feed, sha256, original) values (%s, %s, %s)"
                               " returning request_id", (feed, sha256, delivery_id)).fetchone()[0]
    try:
        store.stage(object_key, data)
        del data
        # Its own outcome is the last: any abandoned delivery of the feed found on the way comes first.
        result = FeedLoader(store, url, key).process(object_key)[-1]
    finally:
        store.unstage(object_key)
        with connect(url, role=Role.LOADER, autocommit=True) as conn:
            conn.execute("update audit.reprocess_requests set done_at = now() where request_id = %s", (request,))
    with connect(url, role=Role.LOADER, autocommit=True) as conn:
        conn.execute("update audit.deliveries set reprocess_of = %s where delivery_id = %s",
                     (delivery_id, result.delivery_id))
    return result
