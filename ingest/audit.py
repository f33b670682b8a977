"""The audit trail: one row per delivery in audit.deliveries, plus an event per step."""
from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from warehouse.connection import connect

PUBLIC_FIELDS = ("file", "feed", "status", "rows_received", "rows_loaded", "rows_rejected", "reasons")


# What `ingest --json` and `deliveries --json` show: a delivery's outcome. 'processing' is no
# outcome: it lasts only while a live loader holds the feed's lock (ingest/steps/receive.py).
OUTCOMES = ("loaded", "quarantined", "duplicate", "aborted")
ABORTED_REASON = ("De verwerking van dit bestand is onderbroken doordat het platform stopte; er is niets uit "
                  "geladen. Het bestand wordt opnieuw verwerkt als een nieuwe levering.")


def start_delivery(conn: psycopg.Connection, *, feed: str, partner: str | None, object_key: str,
                   file_name: str, sha256: str | None, size_bytes: int) -> int:
    delivery_id = conn.execute(
        "insert into audit.deliveries (feed, partner, object_key, file_name, sha256, size_bytes)"
        " values (%s, %s, %s, %s, %s, %s) returning delivery_id",
        (feed, partner, object_key, file_name, sha256, size_bytes),
    ).fetchone()[0]
    event(conn, delivery_id, "received", {"object_key": object_key, "sha256": sha256, "size_bytes": size_bytes})
    return delivery_id


def event(conn: psycopg.Connection, delivery_id: int | None, name: str, detail: dict[str, Any] | None = None) -> None:
    conn.execute("insert into audit.events (delivery_id, event, detail) values (%s, %s, %s)",
                 (delivery_id, name, Jsonb(detail or {})))


def abort_abandoned(conn: psycopg.Connection, feed: str) -> list[tuple[int, str]]:
    """Every delivery of the feed still 'processing' becomes 'aborted' (delivery id and object
    key returned). Call it only while holding the feed's lock: a live loader holds it for as
    long as its delivery is processing, so any other one's loader has died."""
    rows = conn.execute(
        "update audit.deliveries set status = 'aborted', reasons = %s, finished_at = now()"
        " where feed = %s and status = 'processing' returning delivery_id, object_key",
        (Jsonb([ABORTED_REASON]), feed)).fetchall()
    for delivery_id, _ in rows:
        event(conn, delivery_id, "aborted", {})
    return [(r[0], r[1]) for r in rows]


def feeds_processing(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "select distinct feed from audit.deliveries where status = 'processing' order by feed")]


def find_same_bytes(conn: psycopg.Connection, feed: str, partner: str | None, sha256: str | None,
                    delivery_id: int) -> int | None:
    """Per partner: that another partner once sent the same bytes is none of this one's business
    (its report would name that delivery and its outcome), and its file must still be processed."""
    if sha256 is None:
        return None  # not read (too large): nothing to compare
    # A kept original ingested again on purpose (`infopositie reprocess`) is no duplicate of itself.
    row = conn.execute(
        "select delivery_id from audit.deliveries where feed = %(feed)s"
        " and coalesce(partner, '') = coalesce(%(partner)s, '') and sha256 = %(sha)s"
        " and delivery_id <> %(id)s and status in ('loaded', 'quarantined')"
        " and not exists (select 1 from audit.reprocess_requests r"
        "                 where r.feed = %(feed)s and r.sha256 = %(sha)s and r.done_at is null)"
        " order by delivery_id limit 1",
        {"feed": feed, "partner": partner, "sha": sha256, "id": delivery_id},
    ).fetchone()
    return row[0] if row else None


def finish(conn: psycopg.Connection, delivery_id: int, *, status: str, period: str | None,
           rows_received: int | None, rows_loaded: int | None, rows_rejected: int | None,
           reasons: list[str], stored_key: str | None = None, report_key: str | None = None,
           duplicate_of: int | None = None, is_current: bool = False) -> None:
    conn.execute(
        "update audit.deliveries set status = %s, period = %s, rows_received = %s, rows_loaded = %s,"
        " rows_rejected = %s, reasons = %s, stored_key = coalesce(%s, stored_key),"
        " report_key = coalesce(%s, report_key), duplicate_of = %s, is_current = %s, finished_at = now()"
        " where delivery_id = %s",
        (status, period, rows_received, rows_loaded, rows_rejected, Jsonb(reasons), stored_key,
         report_key, duplicate_of, is_current, delivery_id),
    )
    event(conn, delivery_id, status, {"rows_received": rows_received, "rows_loaded": rows_loaded,
                                      "rows_rejected": rows_rejected})


def quarantine_if_processing(conn: psycopg.Connection, delivery_id: int, reasons: list[str]) -> str:
    """The last resort when quarantining the usual way failed: the delivery gets its outcome
    unless it has one already. Returns its status."""
    conn.execute("update audit.deliveries set status = 'quarantined', rows_received = 0, rows_loaded = 0,"
                 " rows_rejected = 0, reasons = %s, finished_at = now() where delivery_id = %s"
                 " and status = 'processing'", (Jsonb(reasons), delivery_id))
    return conn.execute("select status from audit.deliveries where delivery_id = %s", (delivery_id,)).fetchone()[0]


def set_location(conn: psycopg.Connection, delivery_id: int, stored_key: str, report_key: str | None) -> None:
    conn.execute("update audit.deliveries set stored_key = %s, report_key = coalesce(%s, report_key)"
                 " where delivery_id = %s", (stored_key, report_key, delivery_id))
    event(conn, delivery_id, "stored", {"stored_key": stored_key, "report_key": report_key})


def supersede_current(conn: psycopg.Connection, feed: str, partner: str | None, period: str,
                      delivery_id: int) -> list[int]:
    rows = conn.execute(
        "update audit.deliveries set is_current = false, superseded_by = %s"
        " where feed = %s and coalesce(partner, '') = coalesce(%s, '') and period = %s and is_current"
        " returning delivery_id",
        (delivery_id, feed, partner, period),
    ).fetchall()
    return [r[0] for r in rows]


def list_deliveries(url: str) -> list[dict[str, Any]]:
    with connect(url) as conn:
        cur = conn.execute(
            "select delivery_id, object_key, feed, status, rows_received, rows_loaded, rows_rejected,"
            " reasons, period, is_current, received_at from audit.deliveries where status = any(%s)"
            " order by delivery_id", (list(OUTCOMES),)
        )
        out = []
        for (delivery_id, key, feed, status, received, loaded, rejected, reasons, period, current, at) in cur:
            out.append({"delivery_id": delivery_id, "file": key, "feed": feed, "status": status,
                        "rows_received": received, "rows_loaded": loaded, "rows_rejected": rejected,
                        "reasons": reasons if isinstance(reasons, list) else json.loads(reasons or "[]"),
                        "period": period, "is_current": current, "received_at": at.isoformat()})
        return out
