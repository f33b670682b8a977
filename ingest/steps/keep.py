"""Step 9, keep: the original is sealed (encrypted with the archive key, ingest/sealing.py) into the
archive (loaded, duplicate) or quarantine (refused) and leaves landing, a file with a problem gets
the partner's report beside it, and the audit record learns where both are. Each outcome returns
the caller's `DeliveryResult`. Nothing is kept plain: the store must be a `SealedStore`."""
from __future__ import annotations

from typing import Literal

import psycopg

from ingest import audit, load, report
from ingest.delivery import Delivery, DeliveryResult
from ingest.errors import FileRefused, RejectedRow
from ingest.landing import LandingZone
from ingest.landing.sealed import PlainAtRest, SealedStore

Area = Literal["archive", "quarantine"]


def loaded(conn: psycopg.Connection, zone: LandingZone, delivery: Delivery) -> DeliveryResult:
    """Call only after the publish committed: a crash before leaves the original in landing, and
    the next run recognises it (same bytes) instead of losing it."""
    stored = _keep_original(zone, delivery, "archive", delivery.period)
    report_key = None
    if delivery.rows_rejected or delivery.raw.notes:
        report_key = _write_report(zone, delivery, "archive", status="loaded", received=delivery.rows_received,
                                   loaded=delivery.rows_loaded, rejected=delivery.rows_rejected,
                                   reasons=delivery.reasons, rejected_rows=delivery.rejections.rows)
    audit.set_location(conn, delivery.delivery_id, stored, report_key)
    return DeliveryResult(delivery.delivery_id, delivery.key, delivery.feed, "loaded", delivery.rows_received,
                          delivery.rows_loaded, delivery.rows_rejected, delivery.reasons, delivery.period, stored,
                          report_key)


def quarantined(conn: psycopg.Connection, zone: LandingZone, delivery: Delivery,
                refused: FileRefused) -> DeliveryResult:
    """Nothing of the file is loaded: every row received counts as rejected."""
    received = refused.rows_received
    reasons = [refused.reason] + refused.row_summary
    with conn.transaction():  # a loader killed in between leaves no rejected row of an aborted delivery
        load.write_rejected(conn, delivery.delivery_id, refused.rejected_rows)
        audit.finish(conn, delivery.delivery_id, status="quarantined", period=None, rows_received=received,
                     rows_loaded=0, rows_rejected=received, reasons=reasons)
    stored = _keep_original(zone, delivery, "quarantine", None)
    report_key = _write_report(zone, delivery, "quarantine", status="quarantined", received=received, loaded=0,
                               rejected=received, reasons=reasons, rejected_rows=refused.rejected_rows)
    audit.set_location(conn, delivery.delivery_id, stored, report_key)
    return DeliveryResult(delivery.delivery_id, delivery.key, delivery.feed, "quarantined", received, 0, received,
                          reasons, None, stored, report_key)


def duplicate(conn: psycopg.Connection, zone: LandingZone, delivery: Delivery, same: int) -> DeliveryResult:
    """The same bytes as delivery `same`: not processed again, but kept and accounted for."""
    status, period = conn.execute("select status, period from audit.deliveries where delivery_id = %s",
                                  (same,)).fetchone()
    reason = (f"Dit bestand is byte voor byte gelijk aan levering {same} (uitkomst: "
              f"{'geladen' if status == 'loaded' else 'geweigerd'}); het is niet opnieuw verwerkt.")
    audit.finish(conn, delivery.delivery_id, status="duplicate", period=period, rows_received=0, rows_loaded=0,
                 rows_rejected=0, reasons=[reason], duplicate_of=same)
    stored = _keep_original(zone, delivery, "archive", "dubbel")
    audit.set_location(conn, delivery.delivery_id, stored, None)
    return DeliveryResult(delivery.delivery_id, delivery.key, delivery.feed, "duplicate", 0, 0, 0, [reason], period,
                          stored)


def _keep_original(zone: LandingZone, delivery: Delivery, area: Area, subfolder: str | None) -> str:
    if not isinstance(zone, SealedStore):
        raise PlainAtRest("originals are kept only sealed: pass the store as a SealedStore (ingest_landing does)")
    folder = f"{delivery.feed}/{subfolder}" if subfolder else delivery.feed
    # The bytes that were read and loaded are the ones sealed, so the archive holds what was loaded.
    return zone.keep(delivery.key, delivery.data, area, f"{folder}/{delivery.delivery_id}__{delivery.file_name}",
                     delivery.delivery_id)


def _write_report(zone: LandingZone, delivery: Delivery, area: Area, *, status: str, received: int, loaded: int,
                  rejected: int, reasons: list[str], rejected_rows: list[RejectedRow]) -> str:
    text = report.render(contract=delivery.contract, file_name=delivery.file_name, object_key=delivery.key,
                         sha256=delivery.sha256, status=status, received_at=delivery.received_at,
                         rows_received=received, rows_loaded=loaded, rows_rejected=rejected, reasons=reasons,
                         rejected_rows=sorted((row.line, row.reasons) for row in rejected_rows),
                         delivery_id=delivery.delivery_id)
    return zone.put(f"rapporten/{delivery.feed}/{delivery.delivery_id}__{delivery.file_name}.rapport.txt",
                    text.encode("utf-8"), area=area)
