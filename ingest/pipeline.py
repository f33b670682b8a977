"""From a file in the landing zone to a published raw partition (or quarantine), with audit.

Per file: record the delivery -> recognise a duplicate -> read -> type -> validate (Great
Expectations) -> pseudonymise -> write-audit-publish -> keep the original (archive or
quarantine) with a partner report. Rows received = rows loaded + rows rejected, always.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import psycopg
from psycopg import sql

from ingest import audit, load, report
from ingest.contracts import AGE_BANDS, AGE_UNKNOWN, Contract, contract_for_key, load_contract
from ingest.errors import FileRefused
from ingest.landing import LandingZone
from ingest.normalize import Normalized, Reference, normalize
from ingest.pseudonymise import PendingPseudonyms, Pseudonymiser, load_key
from ingest.raw_tables import LOADER_ROLE, ensure_raw_tables
from ingest.readers import RawTable, read_delivery
from ingest.validate import build_checks, run_checks

log = logging.getLogger(__name__)
ARROW_TYPES = {"date": pa.date32(), "decimal": pa.float64(), "number": pa.float64(), "integer": pa.int64(),
               "ja_nee": pa.bool_()}
MAX_REASONS = 25


@dataclass
class DeliveryResult:
    delivery_id: int
    file: str
    feed: str
    status: str
    rows_received: int
    rows_loaded: int
    rows_rejected: int
    reasons: list[str] = field(default_factory=list)
    period: str | None = None
    stored_key: str | None = None
    report_key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "file": self.file, "feed": self.feed, "status": self.status,
                "rows_received": self.rows_received, "rows_loaded": self.rows_loaded,
                "rows_rejected": self.rows_rejected, "reasons": self.reasons, "period": self.period}

    def summary_line(self) -> str:
        text = (f"{self.status:<11} {self.file}  ontvangen {self.rows_received}, geladen {self.rows_loaded}, "
                f"afgekeurd {self.rows_rejected}")
        return text + (f"\n            {self.reasons[0]}" if self.reasons and self.status != "loaded" else "")


def load_reference(conn: psycopg.Connection) -> Reference:
    codes = frozenset(r[0] for r in conn.execute(
        "select gemeentecode from reference.gemeenten where geldig_van <= current_date"
        " and (geldig_tot is null or geldig_tot > current_date)"))
    mapping = {old: (new, name, f"{since:%d-%m-%Y}") for old, name, new, since in conn.execute(
        "select oude_code, oude_naam, nieuwe_code, per_datum from reference.gemeentecode_mapping")}
    districts = dict(conn.execute(
        "select gemeentecode, district from reference.gemeenten where geldig_van <= current_date"
        " and (geldig_tot is null or geldig_tot > current_date)").fetchall())
    return Reference(codes, mapping, districts)


def period_of(contract: Contract, file_name: str) -> str | None:
    match = contract.match_file_name(file_name)
    if not match:
        raise FileRefused(f"De bestandsnaam '{file_name}' voldoet niet aan de afspraak: verwacht "
                          f"{contract.file_name_human}.")
    if contract.period == "none" or "period" not in match.groupdict():
        return None
    raw = match.group("period").upper()
    if contract.period == "month":
        if not (1 <= int(raw[4:6]) <= 12):
            raise FileRefused(f"De bestandsnaam '{file_name}' bevat geen geldige maand ({raw}).")
        return f"{raw[:4]}-{raw[4:6]}"
    if contract.period == "quarter":
        return f"{raw[:4]}-{raw[4:]}"
    return f"{raw[:4]}-{raw[4:6]}-{raw[6:8]}"


def _summarise(rejected: dict[int, list[str]], unit: str = "regel") -> list[str]:
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


def _age_bands(ages: pd.Series) -> np.ndarray:
    values = pd.to_numeric(ages, errors="coerce").to_numpy(dtype=float)
    out = np.full(len(values), AGE_UNKNOWN, dtype=object)
    for label, low, high in AGE_BANDS:
        out[(values >= low) & (values <= high)] = label
    return out


def _check_file_fields(contract: Contract, header: dict, folder: str | None, period: str | None) -> None:
    """File-level fields of a JSON delivery: it must come from the partner's own folder and
    cover the period its name says."""
    options = contract.json_options
    if options is None:
        return
    if options.partner_field:
        value = header.get(options.partner_field)
        if value != folder:
            raise FileRefused(
                f"Het veld '{options.partner_field}' in het bestand ('{value}') is niet gelijk aan de partner van "
                f"de map waarin het is geleverd ('{folder}'). Een partner levert alleen in de eigen map.")
    if options.period_field and period:
        value = header.get(options.period_field)
        if value != period:
            raise FileRefused(f"Het veld '{options.period_field}' in het bestand ('{value}') komt niet overeen met "
                              f"de periode in de bestandsnaam ({period}).")


class FeedLoader:
    """Processes the files of one landing zone into one warehouse."""

    def __init__(self, zone: LandingZone, url: str, key: bytes) -> None:
        self.zone = zone
        self.url = url
        self.key = key
        self.pseudonymiser = Pseudonymiser(key)

    # -- building the stored rows ----------------------------------------------------------
    def _start_pseudonyms(self, contract: Contract, raw: RawTable, skip: set[str]) -> dict[str, PendingPseudonyms]:
        return {c.name: PendingPseudonyms(self.pseudonymiser, self.key, pa.array(raw.frame[c.name].astype("str"), type=pa.string()))
                for c in contract.columns if c.personal == "pseudonymise" and c.name not in skip}

    def _stored_chunks(self, contract: Contract, raw: RawTable, data: Normalized, keep: np.ndarray,
                       delivery_id: int, pending: dict[str, PendingPseudonyms], pseudonyms: dict[str, np.ndarray],
                       chunk_rows: int = 100_000) -> Iterator[pa.Table]:
        """The rows as they are stored, in chunks, so that encoding the next chunk overlaps with
        the database taking the previous one. Each column is its distinct typed values plus one
        index per row; a chunk is an Arrow `take`, so no Python object is made per row."""
        dictionaries: dict[str, tuple[pa.Array, np.ndarray]] = {}
        for c in contract.stored_columns:
            if c.personal == "pseudonymise":
                continue  # taken per chunk, as the worker delivers them
            d = data.columns[c.name]
            values = d.typed.tolist()
            codes = d.codes.astype(np.int32)
            if c.personal == "age_band":
                # An empty age is the band "onbekend", not a missing value.
                values = _age_bands(pd.Series(values + [None], dtype=object)).tolist()
                codes = np.where(codes < 0, len(values) - 1, codes).astype(np.int32)
                arrow_type = pa.string()
            elif c.type == "gemeente_list":
                values = ["{" + ",".join(v) + "}" if v is not None else None for v in values]
                arrow_type = pa.string()
            else:
                arrow_type = ARROW_TYPES.get(c.type, pa.string())
            dictionaries[c.stored_name] = (pa.array(values, type=arrow_type), codes)
        for start in range(0, len(keep), chunk_rows):
            rows = keep[start:start + chunk_rows]
            arrays = [pa.array(np.full(len(rows), delivery_id, dtype=np.int64)), pa.array(raw.line_numbers[rows])]
            names = ["delivery_id", "line_number"]
            for c in contract.stored_columns:
                if c.personal == "pseudonymise":
                    # Rows are contiguous here (all parsed rows, in order), so a chunk is a slice.
                    column = pending[c.name].slice(int(rows[0]), int(rows[-1]) + 1)
                else:
                    dictionary, codes = dictionaries[c.stored_name]
                    index = codes[rows]
                    column = dictionary.take(pa.array(index, mask=index < 0)) if len(dictionary) else \
                        pa.nulls(len(rows), type=dictionary.type)
                arrays.append(column)
                names.append(c.stored_name)
            yield pa.Table.from_arrays(arrays, names=names)

    def _rejected_records(self, contract: Contract, raw: RawTable, positions: list[int],
                          pseudonyms: dict[str, np.ndarray]) -> list[dict]:
        """Rejected rows as they may be stored: pseudonymised, banded, never-store fields absent."""
        if not positions:
            return []
        idx = np.asarray(positions, dtype=np.int64)
        columns: dict[str, list] = {}
        for c in contract.stored_columns:
            if c.personal == "pseudonymise":
                values = pseudonyms[c.name][idx].tolist()
            else:
                values = [None if pd.isna(v) else v for v in raw.frame[c.name].to_numpy(dtype=object)[idx]]
                if c.personal == "age_band":
                    values = _age_bands(pd.Series(values, dtype=object)).tolist()
            columns[c.stored_name] = values
        names = list(columns)
        return [dict(zip(names, row)) for row in zip(*columns.values())]

    # -- one file ----------------------------------------------------------------------------
    def process(self, key: str) -> DeliveryResult:
        data = self.zone.read(key)
        file_name = PurePosixPath(key).name
        sha = hashlib.sha256(data).hexdigest()
        contract = contract_for_key(key)
        feed = contract.feed if contract else "onbekend"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(LOADER_ROLE)))
            delivery_id = audit.start_delivery(conn, feed=feed, partner=contract.partner_for_key(key) if contract else None,
                                               object_key=key, file_name=file_name, sha256=sha, size_bytes=len(data))
            received_at = datetime.now(timezone.utc)
            # One loader per feed at a time: duplicate and supersede decisions must not race.
            conn.execute("select pg_advisory_lock(hashtext(%s))", (f"infopositie.ingest.{feed}",))
            try:
                if contract is not None:
                    load.sweep_unpublished(conn, contract)
                same = audit.find_same_bytes(conn, feed, sha, delivery_id)
                if same is not None:
                    return self._duplicate(conn, key, contract, delivery_id, same)
                try:
                    if contract is None:
                        raise FileRefused("Dit bestand staat niet onder een bekende map (prefix) van een "
                                          "gegevensstroom; het kan niet worden toegewezen.")
                    return self._load(conn, key, data, contract, delivery_id, sha, received_at)
                except FileRefused as refused:
                    return self._quarantine(conn, key, contract, delivery_id, sha, received_at, refused)
            finally:
                conn.execute("select pg_advisory_unlock(hashtext(%s))", (f"infopositie.ingest.{feed}",))

    def _load(self, conn, key, data, contract, delivery_id, sha, received_at) -> DeliveryResult:
        file_name = PurePosixPath(key).name
        period = period_of(contract, file_name)
        folder = contract.partner_for_key(key)
        pending: dict[str, PendingPseudonyms] = {}

        def hash_early(column: str, values: pa.Array) -> None:
            pending[column] = PendingPseudonyms(self.pseudonymiser, self.key, values)

        raw, header = read_delivery(contract, data, file_name, hash_early)
        _check_file_fields(contract, header, folder, period)
        pending.update({k: v for k, v in self._start_pseudonyms(contract, raw, skip=set(pending)).items()})
        ref = load_reference(conn)
        normalized = normalize(contract, raw.frame, ref, part="others",
                               decimal_comma=raw.encoding != "xlsx" and contract.format != "json")
        # Write-audit-publish, with the write running alongside validation: every parsed row goes
        # into the new (invisible) table while Great Expectations checks the file; the audit step
        # then removes the rejected rows, and only then is the table published.
        try:
            return self._write_audit_publish(conn, key, contract, delivery_id, sha, received_at, raw, normalized,
                                             ref, period, folder, pending)
        except BaseException:
            # A large delivery's new table lives outside the publishing transaction: nothing of
            # a load that did not publish may stay behind.
            load.discard(self.url, contract, delivery_id, LOADER_ROLE)
            raise

    def _write_audit_publish(self, conn, key, contract, delivery_id, sha, received_at, raw, normalized, ref,
                             period, folder, pending) -> DeliveryResult:
        file_name = PurePosixPath(key).name
        received = raw.rows_received
        n_rows = len(raw.frame)
        pseudonyms: dict[str, np.ndarray] = {}
        with conn.transaction():
            chunks = self._stored_chunks(contract, raw, normalized, np.arange(n_rows), delivery_id, pending, pseudonyms)
            writer_error: list[BaseException] = []
            columns = ["delivery_id", "line_number"] + [c.stored_name for c in contract.stored_columns]
            writer = load.CopyWriter(conn, self.url, contract, delivery_id, columns, n_rows, LOADER_ROLE)

            def produce() -> None:
                try:
                    for frame in chunks:
                        writer.put(frame)
                except BaseException as err:  # noqa: BLE001 - re-raised below
                    writer_error.append(err)

            producer = threading.Thread(target=produce, name="encode", daemon=True)
            producer.start()
            try:
                # Encoding identifiers (nearly all distinct) is for validation only: it runs
                # while the first rows are being written.
                normalized.columns.update(normalize(contract, raw.frame, ref, part="identifiers").columns)
                row_reasons = run_checks(build_checks(contract, ref, period, folder), normalized, n_rows)
            finally:
                producer.join()
                writer.finish(writer_error[0] if writer_error else None)
            rejected_lines: dict[int, list[str]] = {int(raw.line_numbers[p]): r for p, r in row_reasons.items()}
            for line, reason in raw.unreadable.items():
                rejected_lines[line] = [reason]
            n_rejected = len(rejected_lines)
            audit.event(conn, delivery_id, "validated", {"rows_received": received, "rows_rejected": n_rejected,
                                                         "encoding": raw.encoding})
            positions = sorted(row_reasons)
            if positions and not pseudonyms:  # only rejected rows need them here
                pseudonyms.update({name: np.asarray(p.result(), dtype=object) for name, p in pending.items()})
            for p in pending.values():
                p.wait()
            rejected_rows = list(zip([int(raw.line_numbers[p]) for p in positions],
                                     [row_reasons[p] for p in positions],
                                     self._rejected_records(contract, raw, positions, pseudonyms)))
            rejected_rows += [(line, [reason], {}) for line, reason in raw.unreadable.items()]
            if n_rejected > contract.tolerance * received:
                share = 100 * n_rejected / received
                refused = FileRefused(
                    f"{n_rejected} van de {received} regels ({share:.1f}%) zijn afgekeurd; dat is meer dan de "
                    f"toegestane {contract.tolerance:.0%}. Het hele bestand is geweigerd, omdat een gedeeltelijke "
                    "levering de cijfers ongemerkt te laag zou maken.",
                    rows_received=received)
                refused.rejected_rows = rejected_rows  # type: ignore[attr-defined]
                refused.row_summary = _summarise(rejected_lines, raw.unit)  # type: ignore[attr-defined]
                raise refused  # rolled back, and the caller discards a large delivery's table
            n_loaded = n_rows - len(positions)
            reasons = raw.notes + _summarise(rejected_lines, raw.unit)
            audit.event(conn, delivery_id, "written", {"rows": n_rows})
            removed = load.remove_rejected(conn, contract, delivery_id, [int(raw.line_numbers[p]) for p in positions])
            checks = load.audit(conn, contract, delivery_id, n_loaded)
            audit.event(conn, delivery_id, "audited", {**checks, "rejected_rows_removed": removed})
            load.publish(conn, contract, delivery_id)
            # A period's newest delivery replaces the earlier one; feeds without periods (activities,
            # CBS) keep every delivery current and resolve "newest wins" per record in dbt.
            superseded = audit.supersede_current(conn, contract.feed, folder, period, delivery_id) if period else []
            load.write_rejected(conn, delivery_id, rejected_rows)
            audit.finish(conn, delivery_id, status="loaded", period=period, rows_received=received,
                         rows_loaded=n_loaded, rows_rejected=n_rejected, reasons=reasons, is_current=True)
            audit.event(conn, delivery_id, "published", {"superseded": superseded})
        # The original is moved only after the publish committed: a crash before leaves it in
        # landing, and the next run recognises it (same bytes) instead of losing it.
        stored = self._keep_original(key, "archive", contract, delivery_id, period)
        report_key = None
        if n_rejected or raw.notes:
            report_key = self._write_report(stored, contract, key, sha, "loaded", received_at, received,
                                            n_loaded, n_rejected, reasons, rejected_rows, delivery_id, "archive")
        audit.set_location(conn, delivery_id, stored, report_key)
        return DeliveryResult(delivery_id, key, contract.feed, "loaded", received, n_loaded, n_rejected,
                              reasons, period, stored, report_key)

    def _quarantine(self, conn, key, contract, delivery_id, sha, received_at, refused: FileRefused) -> DeliveryResult:
        received = refused.rows_received
        rejected_rows = getattr(refused, "rejected_rows", [])
        reasons = [refused.reason] + getattr(refused, "row_summary", [])
        if rejected_rows:
            load.write_rejected(conn, delivery_id, rejected_rows)
        audit.finish(conn, delivery_id, status="quarantined", period=None, rows_received=received,
                     rows_loaded=0, rows_rejected=received, reasons=reasons)
        stored = self._keep_original(key, "quarantine", contract, delivery_id, None)
        report_key = self._write_report(stored, contract, key, sha, "quarantined", received_at, received, 0,
                                        received, reasons, rejected_rows, delivery_id, "quarantine")
        audit.set_location(conn, delivery_id, stored, report_key)
        return DeliveryResult(delivery_id, key, contract.feed if contract else "onbekend", "quarantined",
                              received, 0, received, reasons, None, stored, report_key)

    def _duplicate(self, conn, key, contract, delivery_id, same: int) -> DeliveryResult:
        original = conn.execute("select status, period from audit.deliveries where delivery_id = %s", (same,)).fetchone()
        reason = (f"Dit bestand is byte voor byte gelijk aan levering {same} (uitkomst: "
                  f"{'geladen' if original[0] == 'loaded' else 'geweigerd'}); het is niet opnieuw verwerkt.")
        audit.finish(conn, delivery_id, status="duplicate", period=original[1], rows_received=0, rows_loaded=0,
                     rows_rejected=0, reasons=[reason], duplicate_of=same)
        stored = self._keep_original(key, "archive", contract, delivery_id, "dubbel")
        audit.set_location(conn, delivery_id, stored, None)
        return DeliveryResult(delivery_id, key, contract.feed if contract else "onbekend", "duplicate",
                              0, 0, 0, [reason], original[1], stored)

    # -- keeping originals -------------------------------------------------------------------
    def _keep_original(self, key, area, contract, delivery_id, period) -> str:
        feed = contract.feed if contract else "onbekend"
        folder = f"{feed}/{period}" if period else feed
        return self.zone.move(key, area, f"{folder}/{delivery_id}__{PurePosixPath(key).name}")

    def _write_report(self, stored, contract, key, sha, status, received_at, received, loaded, rejected,
                      reasons, rejected_rows, delivery_id, area) -> str:
        text = report.render(contract=contract, file_name=PurePosixPath(key).name, object_key=key, sha256=sha,
                             status=status, received_at=received_at, rows_received=received, rows_loaded=loaded,
                             rows_rejected=rejected, reasons=reasons,
                             rejected_rows=sorted((line, msgs) for line, msgs, _ in rejected_rows),
                             delivery_id=delivery_id)
        feed = contract.feed if contract else "onbekend"
        return self.zone.put(f"rapporten/{feed}/{delivery_id}__{PurePosixPath(key).name}.rapport.txt",
                             text.encode("utf-8"), area=area)


def ingest_landing(zone: LandingZone, url: str, *, feeds: list[str] | None = None,
                   progress: bool = False) -> list[DeliveryResult]:
    """Process every waiting file (optionally only those of some feeds), oldest name first."""
    from infopositie.settings import load_settings

    ensure_raw_tables(url, [load_contract(f) for f in feeds] if feeds else None)
    key = load_key(load_settings().pseudonym_key_file)
    loader = FeedLoader(zone, url, key)
    keys = [k for k in zone.waiting() if feeds is None or (contract_for_key(k) and contract_for_key(k).feed in feeds)]
    results: list[DeliveryResult] = []
    iterator = keys
    if progress and keys:
        from tqdm import tqdm

        iterator = tqdm(keys, desc="ingest", unit="bestand")
    for k in iterator:
        results.append(loader.process(k))
    return results
