"""Step 8, publish: the new table becomes a partition of raw.<feed>, the period's earlier delivery
is superseded, and the audit record is completed; all in the publishing transaction, so readers
see the whole delivery or none of it."""
from __future__ import annotations

import numpy as np
import psycopg

from ingest import audit, corrections, load
from ingest.delivery import Delivery


def publish(conn: psycopg.Connection, delivery: Delivery) -> None:
    contract = delivery.known_contract
    delivery_id, period = delivery.delivery_id, delivery.period
    load.publish(conn, contract, delivery_id)
    # A period's newest delivery replaces the earlier one; feeds without periods (activities,
    # CBS) keep every delivery current and resolve "newest wins" per record in dbt.
    superseded = audit.supersede_current(conn, contract.feed, delivery.folder, period, delivery_id) if period else []
    if period:
        # A key the contract declares corrected across periods (the police list a changed
        # registration again in a later month): the partner hears how many rows did so, and that
        # the newest delivery counts (as dbt staging reads it).
        loaded = np.ones(len(delivery.raw.frame), dtype=bool)
        loaded[delivery.rejections.positions] = False  # removed from the new table in step audit
        for column in (c for c in contract.stored_columns if c.corrected_across_periods):
            keys = corrections.fingerprints(delivery.pseudonyms[column.name].slice(0, len(loaded)), loaded)
            again = corrections.repeated_elsewhere(conn, contract, delivery_id, column.stored_name, keys)
            corrections.record(conn, delivery_id, column.stored_name, keys)
            if again:
                delivery.raw.notes.append(
                    f"{again} {'regel heeft' if again == 1 else 'regels hebben'} een {column.name} dat ook in een "
                    "eerdere levering voor een andere periode staat; de gegevens uit dit bestand gelden als "
                    "correctie (de nieuwste levering telt).")
        corrections.forget(conn, superseded)
    load.write_rejected(conn, delivery_id, delivery.rejections.rows)
    audit.finish(conn, delivery_id, status="loaded", period=period, rows_received=delivery.rows_received,
                 rows_loaded=delivery.rows_loaded, rows_rejected=delivery.rows_rejected, reasons=delivery.reasons,
                 is_current=True)
    audit.event(conn, delivery_id, "published", {"superseded": superseded})
