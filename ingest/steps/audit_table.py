"""Step 7, audit: the rejected rows leave the new table, which is then checked (row count,
required values, delivery) before anyone can see it. A mismatch is a bug, never partner error:
`load.AuditFailed` stops the load."""
from __future__ import annotations

import psycopg

from ingest import audit, load
from ingest.delivery import Delivery


def check(conn: psycopg.Connection, delivery: Delivery) -> None:
    contract = delivery.known_contract
    lines = delivery.raw.line_numbers
    audit.event(conn, delivery.delivery_id, "written", {"rows": len(delivery.raw.frame)})
    removed = load.remove_rejected(conn, contract, delivery.delivery_id,
                                   [int(lines[p]) for p in delivery.rejections.positions])
    checks = load.audit(conn, contract, delivery.delivery_id, delivery.rows_loaded)
    audit.event(conn, delivery.delivery_id, "audited", {**checks, "rejected_rows_removed": removed})
