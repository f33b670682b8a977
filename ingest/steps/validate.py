"""Step 6, validate: every rule of the contract is one Great Expectations expectation (see
ingest/validate.py); a row that fails one is rejected with a Dutch reason. Runs while step write
runs. More rejected rows than the feed tolerates refuse the whole file."""
from __future__ import annotations

from collections import defaultdict

import psycopg

from ingest import audit
from ingest.delivery import Delivery, Rejections
from ingest.errors import FileRefused
from ingest.validate import build_checks, run_checks

MAX_REASONS = 25


def validate(delivery: Delivery) -> None:
    contract = delivery.known_contract
    raw = delivery.raw
    checks = build_checks(contract, delivery.reference, delivery.period, delivery.folder)
    by_position = run_checks(checks, delivery.typed, len(raw.frame))
    by_line = {int(raw.line_numbers[p]): reasons for p, reasons in by_position.items()}
    for line, reason in raw.unreadable.items():
        by_line[line] = [reason]
    delivery.rejections = Rejections(by_position, by_line, summarise(by_line, raw.unit))


def record(conn: psycopg.Connection, delivery: Delivery) -> None:
    """The audit event; on the publishing connection, so only once the write has let go of it."""
    audit.event(conn, delivery.delivery_id, "validated", {"rows_received": delivery.rows_received,
                                                          "rows_rejected": delivery.rows_rejected,
                                                          "encoding": delivery.raw.encoding})


def refuse_beyond_tolerance(delivery: Delivery) -> None:
    """A partial delivery would make the figures too low without anyone noticing: beyond the
    feed's tolerance the whole file is refused, with its rejected rows for the report."""
    tolerance = delivery.known_contract.tolerance
    received, rejected = delivery.rows_received, delivery.rows_rejected
    if rejected > tolerance * received:
        raise FileRefused(
            f"{rejected} van de {received} regels ({100 * rejected / received:.1f}%) zijn afgekeurd; dat is meer "
            f"dan de toegestane {tolerance:.0%}. Het hele bestand is geweigerd, omdat een gedeeltelijke "
            "levering de cijfers ongemerkt te laag zou maken.",
            rows_received=received, rejected_rows=delivery.rejections.rows, row_summary=delivery.rejections.summary)


def summarise(rejected: dict[int, list[str]], unit: str = "regel") -> list[str]:
    """The reasons with the lines that have them, most frequent first, at most MAX_REASONS."""
    by_reason: dict[str, list[int]] = defaultdict(list)
    for line, reasons in sorted(rejected.items()):
        for r in reasons:
            by_reason[r].append(line)
    out = []
    for reason, lines in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:MAX_REASONS]:
        listed = ", ".join(str(x) for x in lines[:5])
        more = f" en {len(lines) - 5} andere" if len(lines) > 5 else ""
        plural = {"regel": "regels", "record": "records"}.get(unit, unit)
        out.append(f"{reason} ({plural if len(lines) > 1 else unit} {listed}{more})")
    if len(by_reason) > MAX_REASONS:
        out.append(f"... en nog {len(by_reason) - MAX_REASONS} andere redenen (zie het leveringsrapport)")
    return out
