"""The least a pseudonymising typed load of the bench file can cost, as a process: what the
libraries alone reach when nothing of the platform runs (no contract, no validation rules, no
Great Expectations, no audit trail, no sealing, no write-audit-publish).

`python -m bench.ingest_floor URL FILE`: interpreter start, imports, the file read in blocks by
pyarrow's streaming CSV reader, per block the identifier hashed with HMAC-SHA256 by polars-hash
and the two dates typed, the rows encoded by pgpq and sent by two binary COPYs into a new typed
table, one block while the next is read. The table is dropped afterwards. Prints one line of
seconds; `bench.ingest_vs_copy` times the whole process against a bare COPY of the same file.

It is the reference for the ingest's goal of 0.5x a bare COPY: if this floor needs most of that
budget, the platform's own steps cannot fit into what is left."""
from __future__ import annotations

import io
import queue
import sys
import threading
import time
from pathlib import Path

STARTED = time.perf_counter()

import numpy as np  # noqa: E402 - imports are part of what is measured
import pgpq  # noqa: E402
import polars as pl  # noqa: E402
import polars_hash  # noqa: E402, F401 - registers the chash namespace
import psycopg  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402
from psycopg.copy import QueuedLibpqWriter  # noqa: E402

TABLE = "public.bench_ingest_floor"
KEY = "0" * 64  # the text form's 64 characters; any key costs the same
DATES = (1, 2)  # registratiedatum, pleegdatum in the police file
CONNECTIONS = 2


def _copy(conn: psycopg.Connection, schema: pa.Schema, blocks: queue.Queue[pa.RecordBatch | None]) -> None:
    cursor = conn.cursor()
    with cursor.copy(f"copy {TABLE} from stdin (format binary)", writer=QueuedLibpqWriter(cursor)) as copy:
        encoder = pgpq.ArrowToPostgresBinaryEncoder(schema)
        copy.write(encoder.write_header())
        while (block := blocks.get()) is not None:
            copy.write(encoder.write_batch(block))
        copy.write(encoder.finish())
    conn.commit()


def main(url: str, path: str) -> int:
    imported = time.perf_counter()
    body = Path(path).read_bytes().removeprefix(b"\xef\xbb\xbf")
    header = body[:body.find(b"\n")].decode().split(";")
    stored = header[:-1]  # the free text (omschrijving) is never stored
    types = [pa.int64(), pa.int32()] + [pa.date32() if i in DATES else pa.string() for i in range(len(stored))]
    schema = pa.schema(list(zip(["delivery_id", "line_number", *stored], types)))
    columns = ", ".join(f'"{n}" {"date" if t == pa.date32() else "text"}' for n, t in zip(stored, types[2:]))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"drop table if exists {TABLE}")
        conn.execute(f"create table {TABLE} (delivery_id bigint, line_number integer, {columns})")
    connections = [psycopg.connect(url) for _ in range(CONNECTIONS)]
    queues: list[queue.Queue[pa.RecordBatch | None]] = [queue.Queue(maxsize=4) for _ in connections]
    threads = [threading.Thread(target=_copy, args=(c, schema, q)) for c, q in zip(connections, queues)]
    for t in threads:
        t.start()
    reader = pacsv.open_csv(io.BytesIO(body), read_options=pacsv.ReadOptions(skip_rows=1, column_names=header,
                                                                               block_size=1 << 23),
                            parse_options=pacsv.ParseOptions(delimiter=";"),
                            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()),
                                                                 include_columns=stored))
    line, turn, digests = 2, 0, []
    for block in reader:
        n = block.num_rows
        identifiers = pl.from_arrow(block.column(0)).alias("v")
        hashed = pl.DataFrame([identifiers]).select(pl.col("v").chash.hmac_sha256(key=KEY)).to_series()
        digests.append(identifiers.hash().to_numpy())  # for the uniqueness check over the whole file
        values = [pc.strptime(block.column(i), format="%d-%m-%Y", unit="s", error_is_null=True).cast(pa.date32())
                  if i in DATES else block.column(i) for i in range(1, len(stored))]
        queues[turn % CONNECTIONS].put(pa.RecordBatch.from_arrays(
            [pa.array(np.zeros(n, dtype=np.int64)), pa.array(np.arange(line, line + n, dtype=np.int32)),
             hashed.to_arrow(), *values], schema=schema))
        line, turn = line + n, turn + 1
    every = np.concatenate(digests)
    unique = len(np.unique(every)) == len(every)
    for q in queues:
        q.put(None)
    for t in threads:
        t.join()
    loaded = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(f"select count(*) from {TABLE}").fetchone()[0]
        conn.execute(f"drop table {TABLE}")
    for c in connections:
        c.close()
    print(f"floor: imports {imported - STARTED:.2f} s, load {loaded - imported:.2f} s, {rows:,} rows, "
          f"identifiers unique: {unique}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
