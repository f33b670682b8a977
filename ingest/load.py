"""Write-audit-publish into the raw layer.

1. write:   COPY every parsed row into a new standalone table raw.<feed>_d<delivery_id> while
            validation runs (a large delivery over two connections, see CopyWriter);
2. audit:   remove the rows validation rejected, then check that table (row count, required
            values, delivery) before anyone can see it;
3. publish: in one transaction attach it as a partition of raw.<feed>, mark the delivery current
            and the previous delivery for the same period superseded.
Readers (dbt) never see a half-loaded file, and earlier deliveries stay as partitions (history).
"""
from __future__ import annotations

import queue
import re
import threading

import pgpq
import psycopg
import pyarrow as pa
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from ingest.contracts import Contract
from warehouse.connection import connect, open_connection


class AuditFailed(RuntimeError):
    """The written table does not match what validation promised: a bug, never partner error."""


def partition_name(contract: Contract, delivery_id: int) -> tuple[str, str]:
    schema, table = contract.raw_table.split(".")
    return schema, f"{table}_d{delivery_id}"


class SchemaMismatch(RuntimeError):
    """The rows' Arrow types would not arrive as the table's column types: a bug, never partner error."""


# Binary COPY sends each value in its type's binary form and the server converts nothing (an
# int64 sent into a numeric column would arrive as garbage), so what the encoder writes must be
# what the table holds. Binary timestamp and timestamptz are the same form.
_PG_AS_BINARY = {"bigint": "INT8", "integer": "INT4", "smallint": "INT2", "double precision": "FLOAT8",
                 "real": "FLOAT4", "boolean": "BOOL", "date": "DATE", "text": "TEXT", "text[]": "TEXT[]",
                 "timestamp with time zone": "TIMESTAMP", "timestamp without time zone": "TIMESTAMP"}
_DDL_COLUMN = re.compile(r'"((?:[^"]|"")*)" ([A-Z0-9_]+(?:\[\])?)')


def check_binary_schema(conn: psycopg.Connection, schema: str, table: str, encoder: pgpq.ArrowToPostgresBinaryEncoder,
                        columns: list[str]) -> None:
    """Refuse to COPY when a column would be sent in another type than the table's."""
    sent = dict(zip(columns, (t for _, t in _DDL_COLUMN.findall(encoder.schema().ddl("t")))))
    held = {name: re.sub(r"^numeric(\(.*\))?$", "NUMERIC", kind) for name, kind in conn.execute(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = to_regclass(%s) and attnum > 0 and not attisdropped",
        (f'"{schema}"."{table}"',)).fetchall()}
    wrong = {c: (sent[c], held.get(c)) for c in columns
             if _PG_AS_BINARY.get(held.get(c, ""), held.get(c)) != sent.get(c)}
    if wrong:
        raise SchemaMismatch(f"{schema}.{table}: sent type differs from the column type for {wrong}")


PARALLEL_COPY_FROM = 50_000  # rows; from here the new table is filled over two connections
COPY_CONNECTIONS = 2


class CopyWriter:
    """COPY into the new standalone table, fed with Arrow chunks from other threads.

    Small deliveries: the table is created in the caller's (publishing) transaction and filled
    over the caller's connection, so a rollback leaves nothing behind.

    Large deliveries: the server's COPY is the longest single piece of work of the whole load, so
    the table is created in a transaction of its own and filled over two connections at once
    (one server process each, chunks taken in turn), every connection in its own thread that
    encodes its chunk while the other one is sent. The table is not attached to anything, so no
    reader can see it; the publishing transaction audits and attaches it, and `discard` drops it
    when the load does not publish. The caller's connection must not be used for anything else
    until `finish()` returns."""

    def __init__(self, conn: psycopg.Connection, url: str, contract: Contract, delivery_id: int,
                 row_schema: pa.Schema, rows: int, role: str) -> None:
        schema, name = partition_name(contract, delivery_id)
        parent_schema, parent = contract.raw_table.split(".")
        target = sql.Identifier(schema, name)
        create = sql.SQL("create table {} (like {} including defaults)").format(
            target, sql.Identifier(parent_schema, parent))
        self._own: list[psycopg.Connection] = []
        if rows < PARALLEL_COPY_FROM:
            conn.execute(create)
            connections = [conn]
        else:
            with connect(url, role=role, autocommit=True) as setup:
                setup.execute(create)
            for _ in range(COPY_CONNECTIONS):
                self._own.append(open_connection(url, role=role))
            connections = self._own
        self._schema = row_schema
        check_binary_schema(connections[0], schema, name, pgpq.ArrowToPostgresBinaryEncoder(row_schema),
                            row_schema.names)
        statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
            target, sql.SQL(", ").join(sql.Identifier(c) for c in row_schema.names))
        self._queues: list[queue.Queue[pa.Table | None]] = [queue.Queue(maxsize=2) for _ in connections]
        self._failure: list[BaseException] = []
        self._turn = 0
        self._threads = [threading.Thread(target=self._drain, args=(c, q, statement), name=f"copy-{name}-{i}",
                                          daemon=True)
                         for i, (c, q) in enumerate(zip(connections, self._queues))]
        for t in self._threads:
            t.start()

    def _drain(self, conn: psycopg.Connection, chunks: queue.Queue[pa.Table | None], statement) -> None:
        ended = False  # the end of the chunks was taken: the server's error can come only at the end
        try:
            cursor = conn.cursor()
            # Queued: sending runs in psycopg's own thread, so this one encodes the next chunk
            # while the server takes the previous one.
            with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
                # Every connection sends a whole binary stream, header and trailer included,
                # even when it gets no rows.
                encoder = pgpq.ArrowToPostgresBinaryEncoder(self._schema)
                copy.write(encoder.write_header())
                while (chunk := chunks.get()) is not None:
                    for batch in chunk.to_batches():
                        copy.write(encoder.write_batch(batch))
                    if self._failure:
                        raise RuntimeError("another COPY connection failed")
                ended = True
                copy.write(encoder.finish())
        except BaseException as err:  # noqa: BLE001 - re-raised in finish()
            self._failure.append(err)
            while not ended and chunks.get() is not None:
                pass

    def put(self, table: pa.Table) -> None:
        self._queues[self._turn % len(self._queues)].put(table)
        self._turn += 1

    def finish(self, error: BaseException | None = None) -> None:
        for q in self._queues:
            q.put(None)
        for t in self._threads:
            t.join()
        failure = error or (self._failure[0] if self._failure else None)
        try:
            for own in self._own:
                if failure is None:
                    own.commit()
                own.close()  # without commit: rolled back
        finally:
            if failure is not None:
                raise failure


def discard(url: str, contract: Contract, delivery_id: int, role: str) -> bool:
    """Drop the new table of a load that did not publish (a large delivery's table lives outside
    the publishing transaction). Never touches a published partition."""
    schema, name = partition_name(contract, delivery_id)
    with connect(url, role=role, autocommit=True) as conn:
        found = conn.execute("select relispartition from pg_class where oid = to_regclass(%s)",
                             (f'"{schema}"."{name}"',)).fetchone()
        if found is None or found[0]:
            return False
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(schema, name)))
        return True


def sweep_unpublished(conn: psycopg.Connection, contract: Contract) -> list[str]:
    """Drop new tables left by a loader that died between writing and publishing. Call it while
    holding the feed's load lock: no other load of this feed can be writing one."""
    schema, table = contract.raw_table.split(".")
    names = [r[0] for r in conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relkind = 'r' and not c.relispartition and c.relname ~ %s",
        (schema, f"^{table}_d[0-9]+$"))]
    for name in names:
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(schema, name)))
    return names


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
