"""Rows go into the raw tables as binary COPY (pgpq), which converts nothing on the server: the
types sent must be the table's, and the loader refuses to send when they are not. And the ingest
process stays light: it imports neither pandas nor Great Expectations (together over ten seconds
of start-up for every `infopositie ingest` and every Airflow ingest task)."""
from __future__ import annotations

import subprocess
import sys

import pgpq
import psycopg
import pyarrow as pa
import pytest

from ingest.contracts import all_contracts
from ingest.load import SchemaMismatch, check_binary_schema
from ingest.raw_tables import column_definitions
from ingest.steps.write import stored_schema


def test_an_int64_for_a_numeric_column_is_refused_before_a_row_is_sent(db: psycopg.Connection) -> None:
    db.execute("create schema if not exists binary_check")
    db.execute("create table if not exists binary_check.t (delivery_id bigint, bedrag numeric(14,2))")
    good = pa.schema([("delivery_id", pa.int64()), ("bedrag", pa.decimal128(14, 2))])
    check_binary_schema(db, "binary_check", "t", pgpq.ArrowToPostgresBinaryEncoder(good), good.names)
    bad = pa.schema([("delivery_id", pa.int64()), ("bedrag", pa.int64())])
    with pytest.raises(SchemaMismatch, match="bedrag"):
        check_binary_schema(db, "binary_check", "t", pgpq.ArrowToPostgresBinaryEncoder(bad), bad.names)


@pytest.mark.parametrize("contract", all_contracts(), ids=lambda c: c.feed)
def test_every_feed_sends_its_raw_table_types(db: psycopg.Connection, contract) -> None:
    schema = f"binary_{contract.feed}"
    db.execute(psycopg.sql.SQL("drop schema if exists {} cascade").format(psycopg.sql.Identifier(schema)))
    db.execute(psycopg.sql.SQL("create schema {}").format(psycopg.sql.Identifier(schema)))
    db.execute(psycopg.sql.SQL("create table {}.t ({})").format(
        psycopg.sql.Identifier(schema), psycopg.sql.SQL(", ").join(column_definitions(contract))))
    rows = stored_schema(contract)
    check_binary_schema(db, schema, "t", pgpq.ArrowToPostgresBinaryEncoder(rows), rows.names)


def test_the_ingest_imports_neither_pandas_nor_great_expectations() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, infopositie.cli, ingest.pipeline;"
         "print(sorted(m for m in ('pandas', 'great_expectations') if m in sys.modules))"],
        check=True, capture_output=True, text=True).stdout.strip()
    assert loaded == "[]"


def test_amounts_round_in_arrow_as_python_decimal_rounds_their_shortest_text() -> None:
    import random
    from decimal import ROUND_HALF_UP, Decimal

    from ingest.steps.write import cents

    rnd = random.Random(7)
    values = [round(rnd.uniform(0, 1e6), rnd.choice([0, 1, 2, 3, 4])) for _ in range(5000)]
    values += [1.005, 0.125, 2345.675, 0.1 + 0.2, 1e-7, 999_999_999_999.99, None]
    expected = [None if v is None else Decimal(repr(v)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                for v in values]
    assert cents(values).to_pylist() == expected
    assert cents([5e-324, 2.5]).to_pylist() == [Decimal("0.00"), Decimal("2.50")]  # beyond Arrow's scale


def test_an_ingest_command_never_imports_pandas(fresh_warehouse_url, pseudonym_key, tmp_path) -> None:
    """pyarrow would import it (about a second) the first time it builds an array."""
    from ingest.landing import LocalLandingZone
    from tests.ingest.helpers import csv_bytes, valid_rows

    LocalLandingZone(tmp_path).put("politie/registraties/registraties_online_202601.csv", csv_bytes(valid_rows(20)))
    code = ("import sys, runpy; sys.argv = ['infopositie', 'ingest', '--store', sys.argv[1], '--json'];\n"
            "try:\n    runpy.run_module('infopositie.cli', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print('PANDAS', 'pandas' in sys.modules)")
    import os

    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                          env={**os.environ, "WAREHOUSE_URL": fresh_warehouse_url})
    assert '"status": "loaded"' in done.stdout, done.stderr[-2000:]
    assert "PANDAS False" in done.stdout
