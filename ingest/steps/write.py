"""Step 5, write: every parsed row, as it may be stored, into the delivery's new table (invisible
to readers until publish), while step validate runs.

Encoding runs in a thread of its own that feeds `load.CopyWriter` (which sends over one or two
connections in threads of its own): the database takes one chunk while the next is encoded and
while validation checks the file. Rows validation rejects are removed in step audit."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from types import TracebackType

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from config import Role
from ingest import load
from ingest.contracts import Column, Contract
from ingest.delivery import Delivery
from ingest.steps.pseudonymise import age_bands
from ingest.validate import STORED_RANGE

# The Arrow type whose PostgreSQL binary form (ingest/load.py) is the raw column's type
# (ingest.contracts.PG_TYPES): binary COPY converts nothing, so these must match exactly, which
# load.CopyWriter checks against the table before it sends a row.
ARROW_TYPES = {"date": pa.date32(), "decimal": pa.decimal128(14, 2), "number": pa.float64(), "integer": pa.int32(),
               "ja_nee": pa.bool_(), "gemeente_list": pa.list_(pa.string())}
CENT = Decimal("0.01")
CHUNK_ROWS = 100_000


class Writing:
    """`with Writing(conn, url, delivery):` the rows are written while the body runs; leaving
    the block waits until all are in (and raises a failure of the write). Use it inside the
    publishing transaction; the connection is the writer's until the block ends."""

    def __init__(self, conn: psycopg.Connection, url: str, delivery: Delivery) -> None:
        self._conn = conn
        self._url = url
        self._delivery = delivery
        self._failure: list[BaseException] = []

    def __enter__(self) -> Writing:
        delivery = self._delivery
        contract = delivery.known_contract
        chunks = stored_chunks(delivery)
        self._writer = load.CopyWriter(self._conn, self._url, contract, delivery.delivery_id, stored_schema(contract),
                                       len(delivery.raw.frame), Role.LOADER)

        def produce() -> None:
            try:
                for chunk in chunks:
                    self._writer.put(chunk)
            except BaseException as err:  # noqa: BLE001 - raised in __exit__, on the caller's thread
                self._failure.append(err)

        self._producer = threading.Thread(target=produce, name="encode", daemon=True)
        self._producer.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._producer.join()
        self._writer.finish(self._failure[0] if self._failure else None)


def cents(values: list[float | None]) -> pa.Array:
    """Amounts as numeric(14,2) holds them, rounded as PostgreSQL rounds their text: half away
    from zero on the shortest decimal form of the float (1.005 -> 1.01, 0.125 -> 0.13). In Arrow;
    a form with more digits than it can scale (a tiny fraction) goes through Python's Decimal."""
    floats = pa.array(values, type=pa.float64())
    try:
        exact = pc.cast(pc.cast(floats, pa.string()), pa.decimal128(38, 24))
    except pa.ArrowInvalid:
        return pa.array([None if v is None else Decimal(repr(v)).quantize(CENT, rounding=ROUND_HALF_UP)
                         for v in values], type=ARROW_TYPES["decimal"])
    return pc.cast(pc.round(exact, ndigits=2, round_mode="half_towards_infinity"), ARROW_TYPES["decimal"])


def stored_schema(contract: Contract) -> pa.Schema:
    """The rows as they are written: the delivery, the line, and every stored column."""
    def arrow_type(c: Column) -> pa.DataType:
        return pa.string() if c.personal in ("pseudonymise", "age_band") else ARROW_TYPES.get(c.type, pa.string())

    return pa.schema([("delivery_id", pa.int64()), ("line_number", pa.int32())] +
                     [(c.stored_name, arrow_type(c)) for c in contract.stored_columns])


def stored_chunks(delivery: Delivery, chunk_rows: int = CHUNK_ROWS) -> Iterator[pa.Table]:
    """The rows as they are stored, in chunks, so that encoding the next chunk overlaps with the
    database taking the previous one. Each column is its distinct typed values plus one index per
    row; a chunk is an Arrow `take`, so no Python object is made per row."""
    contract = delivery.known_contract
    raw = delivery.raw
    dictionaries: dict[str, tuple[pa.Array, np.ndarray]] = {}
    for c in contract.stored_columns:
        if c.personal == "pseudonymise":
            continue  # taken per chunk, as the worker delivers them
        d = delivery.typed.columns[c.name]
        values = d.objects().tolist()
        codes = d.codes.astype(np.int32)
        if c.personal == "age_band":
            # An empty age is the band "onbekend", not a missing value.
            values = age_bands(values + [None]).tolist()
            codes = np.where(codes < 0, len(values) - 1, codes).astype(np.int32)
            arrow_type = pa.string()
        elif c.type == "gemeente_list":
            values = [list(v) if v is not None else None for v in values]
            arrow_type = ARROW_TYPES[c.type]
        else:
            arrow_type = ARROW_TYPES.get(c.type, pa.string())
            if c.type in STORED_RANGE:
                # Beyond what the column holds, the COPY would fail: written empty, and the row,
                # which validation rejects (rule stored_range), is removed in step audit.
                low, high = STORED_RANGE[c.type]
                values = [v if v is None or low <= v <= high else None for v in values]
        dictionary = cents(values) if c.type == "decimal" else pa.array(values, type=arrow_type)
        dictionaries[c.stored_name] = (dictionary, codes)
    schema = stored_schema(contract)
    n_rows = len(raw.frame)
    for start in range(0, n_rows, chunk_rows):
        rows = np.arange(start, min(start + chunk_rows, n_rows))
        arrays = [pa.array(np.full(len(rows), delivery.delivery_id, dtype=np.int64)),
                  pa.array(raw.line_numbers[rows].astype(np.int32))]
        names = ["delivery_id", "line_number"]
        for c in contract.stored_columns:
            if c.personal == "pseudonymise":
                # Every parsed row is written, in order, so a chunk is a slice of the pseudonyms.
                column = delivery.pseudonyms[c.name].slice(start, start + len(rows))
            else:
                dictionary, codes = dictionaries[c.stored_name]
                index = codes[rows]
                column = dictionary.take(pa.array(index, mask=index < 0)) if len(dictionary) else \
                    pa.nulls(len(rows), type=dictionary.type)
            arrays.append(column)
            names.append(c.stored_name)
        yield pa.Table.from_arrays(arrays, schema=schema)
