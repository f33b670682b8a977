"""How many rows of a new delivery re-deliver a record of another current delivery: a key the
contract declares corrected across periods (the police list a changed registration again in a
later month). The partner hears the count, never the values; dbt reads those rows as corrections.

Each delivery's key column is kept as fingerprints in `audit.delivery_keys`: the first 64 bits of
every loaded row's pseudonym (an HMAC-SHA256, so its bits are uniform). The count compares the new
delivery's fingerprints, computed from the pseudonyms in memory, with those of the feed's other
current deliveries: milliseconds, where a join of the new partition against every current one was
the most expensive step of a large load (1.8 s of CPU for 1,000,000 rows against one earlier
month) and grew with the history. Two different pseudonyms share a fingerprint with probability
2^-64 per pair: about 1 in 5 million for 2,000,000 rows against a history of 2,000,000, and then
the count is one too high, which is only ever reported, never used to load or drop anything.

A current delivery without fingerprints (loaded before they existed) gets them from its raw
partition once, computed the same way in SQL.
"""
from __future__ import annotations

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from ingest.contracts import Contract

FINGERPRINT_HEX_DIGITS = 16  # 64 bits
STORED = np.dtype(">i8")  # as PostgreSQL's int8send writes them


def fingerprints(pseudonyms: pa.Array | pa.ChunkedArray, keep: np.ndarray | None = None) -> np.ndarray:
    """The fingerprints (int64) of the non-empty pseudonyms (hex) whose row `keep` marks, in order."""
    if isinstance(pseudonyms, pa.ChunkedArray):
        pseudonyms = pseudonyms.combine_chunks()
    prefixes = pc.binary_slice(pseudonyms.cast(pa.binary()), 0, FINGERPRINT_HEX_DIGITS)
    offsets = np.frombuffer(prefixes.buffers()[1], dtype=np.int32)[prefixes.offset:prefixes.offset + len(prefixes) + 1]
    lengths = np.where(prefixes.is_valid().to_numpy(zero_copy_only=False), np.diff(offsets), 0)
    full = lengths == FINGERPRINT_HEX_DIGITS
    if not (full | (lengths == 0)).all():
        raise ValueError("a pseudonym shorter than a fingerprint: not an HMAC in hex")
    data = prefixes.buffers()[2]
    digits = b"" if data is None else memoryview(data)[int(offsets[0]):int(offsets[-1])].tobytes()
    if len(digits) != FINGERPRINT_HEX_DIGITS * int(full.sum()):  # a null that kept bytes: pick each value
        digits = b"".join(v for v in prefixes.filter(pa.array(full)).to_pylist())
    values = np.frombuffer(bytes.fromhex(digits.decode("ascii")), dtype=STORED).astype(np.int64)
    return values if keep is None else values[keep[full]]


def _sql_fingerprint(column: str) -> sql.Composable:
    """The same fingerprint in SQL: the first 16 hex digits of the pseudonym as a signed int8."""
    return sql.SQL("(('x' || left({c}, {n}))::bit(64)::bigint)").format(
        c=sql.Identifier(column), n=sql.Literal(FINGERPRINT_HEX_DIGITS))


def record(conn: psycopg.Connection, delivery_id: int, column: str, values: np.ndarray) -> None:
    conn.execute("insert into audit.delivery_keys (delivery_id, column_name, fingerprints) values (%s, %s, %s)",
                 (delivery_id, column, values.astype(STORED).tobytes()))


def _backfill(conn: psycopg.Connection, contract: Contract, delivery_id: int, column: str) -> None:
    parent_schema, parent = contract.raw_table.split(".")
    conn.execute(sql.SQL(
        "insert into audit.delivery_keys (delivery_id, column_name, fingerprints)"
        " select %(d)s, %(c)s, coalesce(string_agg(int8send({f}), ''::bytea), ''::bytea)"
        " from {t} where delivery_id = %(d)s and {k} is not null and length({k}) >= {n}").format(
        f=_sql_fingerprint(column), t=sql.Identifier(parent_schema, parent), k=sql.Identifier(column),
        n=sql.Literal(FINGERPRINT_HEX_DIGITS)), {"d": delivery_id, "c": column})


def repeated_elsewhere(conn: psycopg.Connection, contract: Contract, delivery_id: int, column: str,
                       values: np.ndarray) -> int:
    """How many of `values` (this delivery's fingerprints, one per loaded row; unique within a
    file by contract) another current delivery of the feed also carries. Call after the period's
    earlier delivery was superseded, in the publishing transaction, which holds the feed's lock."""
    others = [r[0] for r in conn.execute(
        "select d.delivery_id from audit.deliveries d where d.feed = %s and d.is_current and d.delivery_id <> %s"
        " and d.purged_at is null and not exists (select from audit.delivery_keys k"
        "  where k.delivery_id = d.delivery_id and k.column_name = %s)",
        (contract.feed, delivery_id, column))]
    for other in others:
        _backfill(conn, contract, other, column)
    blobs = [r[0] for r in conn.execute(
        "select k.fingerprints from audit.delivery_keys k join audit.deliveries d using (delivery_id)"
        " where d.feed = %s and d.is_current and d.delivery_id <> %s and d.purged_at is null"
        " and k.column_name = %s", (contract.feed, delivery_id, column), binary=True)]
    if not blobs or not len(values):
        return 0
    known = np.concatenate([np.frombuffer(b, dtype=STORED) for b in blobs]).astype(np.int64)
    if not len(known):
        return 0
    return int(pc.sum(pc.is_in(pa.array(values), value_set=pa.array(known))).as_py() or 0)


def forget(conn: psycopg.Connection, delivery_ids: list[int]) -> None:
    """Superseded or purged deliveries are never compared again."""
    if delivery_ids:
        conn.execute("delete from audit.delivery_keys where delivery_id = any(%s)", (delivery_ids,))
