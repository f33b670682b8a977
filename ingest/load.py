"""Write-audit-publish into the raw layer.

1. write:   COPY the accepted rows into a new standalone table raw.<feed>_d<delivery_id>;
2. audit:   check that table (row count, required values, uniqueness) before anyone can see it;
3. publish: in one transaction attach it as a partition of raw.<feed>, mark the delivery current
            and the previous delivery for the same period superseded.
Readers (dbt) never see a half-loaded file, and earlier deliveries stay as partitions (history).
"""
from __future__ import annotations

import io
import itertools
import queue
import threading
from collections.abc import Iterable

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

from ingest.contracts import Contract


class AuditFailed(RuntimeError):
    """The written table does not match what validation promised: a bug, never partner error."""


def partition_name(contract: Contract, delivery_id: int) -> tuple[str, str]:
    schema, table = contract.raw_table.split(".")
    return schema, f"{table}_d{delivery_id}"


def _to_csv(frame: pd.DataFrame | pa.Table) -> bytes:
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buffer.getvalue()


class CopyWriter:
    """COPY into a new standalone table, fed from other threads.

    The table is created in the caller's transaction, so a rollback leaves nothing behind. A
    writer thread feeds the server while the caller's threads encode the next chunk and run
    validation: on two cores the database and Python then work side by side. The connection
    must not be used for anything else until `finish()` returns."""

    def __init__(self, conn: psycopg.Connection, contract: Contract, delivery_id: int, columns: list[str]) -> None:
        schema, name = partition_name(contract, delivery_id)
        parent_schema, parent = contract.raw_table.split(".")
        target = sql.Identifier(schema, name)
        conn.execute(sql.SQL("create table {} (like {} including defaults)").format(
            target, sql.Identifier(parent_schema, parent)))
        self._pending: queue.Queue[bytes | None] = queue.Queue(maxsize=3)
        self._failure: list[BaseException] = []
        self._copy_cm = conn.cursor().copy(sql.SQL("copy {} ({}) from stdin (format csv)").format(
            target, sql.SQL(", ").join(sql.Identifier(c) for c in columns)))
        self._copy = self._copy_cm.__enter__()
        self._thread = threading.Thread(target=self._drain, name=f"copy-{name}", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while (data := self._pending.get()) is not None:
                self._copy.write(data)
        except BaseException as err:  # noqa: BLE001 - re-raised in finish()
            self._failure.append(err)
            while self._pending.get() is not None:
                pass

    def put(self, frame: pd.DataFrame | pa.Table) -> None:
        self._pending.put(_to_csv(frame))

    def finish(self, error: BaseException | None = None) -> None:
        self._pending.put(None)
        self._thread.join()
        failure = error or (self._failure[0] if self._failure else None)
        if failure is None:
            self._copy_cm.__exit__(None, None, None)
            return
        try:
            self._copy_cm.__exit__(type(failure), failure, failure.__traceback__)
        finally:
            raise failure


def write(conn: psycopg.Connection, contract: Contract, delivery_id: int, chunks: Iterable[pd.DataFrame]) -> None:
    """Write all chunks into the new table (see CopyWriter)."""
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return
    writer = CopyWriter(conn, contract, delivery_id, list(first.columns))
    try:
        for frame in itertools.chain([first], iterator):
            writer.put(frame)
    except BaseException as err:
        writer.finish(err)
        raise
    writer.finish()


def remove_rejected(conn: psycopg.Connection, contract: Contract, delivery_id: int, lines: list[int]) -> int:
    """Audit step: rows that validation rejected leave the new table before it is published."""
    if not lines:
        return 0
    schema, name = partition_name(contract, delivery_id)
    return conn.execute(sql.SQL("delete from {} where line_number = any(%s)").format(
        sql.Identifier(schema, name)), (lines,)).rowcount


def audit(conn: psycopg.Connection, contract: Contract, delivery_id: int, expected_rows: int) -> dict[str, int]:
    """One scan over the new table: exactly the accepted rows, all of this delivery, no empty
    required values. (Uniqueness was validated on the file; re-checking it here would cost a
    sort of the whole delivery for no new information.)"""
    schema, name = partition_name(contract, delivery_id)
    target = sql.Identifier(schema, name)
    parts = [sql.SQL("count(*)")]
    labels = ["rows"]
    for c in contract.stored_columns:
        if c.required:
            parts.append(sql.SQL("count(*) filter (where {} is null)").format(sql.Identifier(c.stored_name)))
            labels.append(f"null_{c.stored_name}")
    parts.append(sql.SQL("count(*) filter (where delivery_id <> {})").format(sql.Literal(delivery_id)))
    labels.append("foreign_delivery")
    values = conn.execute(sql.SQL("select {} from {}").format(sql.SQL(", ").join(parts), target)).fetchone()
    result = dict(zip(labels, values))
    problems = {k: v for k, v in result.items() if k != "rows" and v}
    if result["rows"] != expected_rows or problems:
        raise AuditFailed(f"{name}: expected {expected_rows} rows, found {result['rows']}; problems {problems}")
    return result


def publish(conn: psycopg.Connection, contract: Contract, delivery_id: int) -> None:
    schema, name = partition_name(contract, delivery_id)
    parent_schema, parent = contract.raw_table.split(".")
    # The check constraint lets ATTACH skip its validation scan of the new partition.
    conn.execute(sql.SQL("alter table {} add constraint {} check (delivery_id = {})").format(
        sql.Identifier(schema, name), sql.Identifier(f"{name}_delivery"), sql.Literal(delivery_id)))
    conn.execute(sql.SQL("alter table {} attach partition {} for values in ({})").format(
        sql.Identifier(parent_schema, parent), sql.Identifier(schema, name), sql.Literal(delivery_id)))


def write_rejected(conn: psycopg.Connection, delivery_id: int, rows: list[tuple[int, list[str], dict]]) -> None:
    if not rows:
        return
    import json

    with conn.cursor().copy("copy audit.rejected_rows (delivery_id, line_number, reasons, record) from stdin") as copy:
        for line, reasons, record in rows:
            copy.write_row((delivery_id, line, reasons, json.dumps(record, ensure_ascii=False, default=str)))
