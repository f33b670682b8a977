"""The count of re-delivered registrations (ingest/corrections.py) against its definition in SQL.

The partner's report says how many rows of a police file carry a registration number that another
current delivery also carries. The count compares 64-bit fingerprints of the pseudonyms in memory;
these tests hold it to the join it replaced (rows of the new partition whose pseudonym another
current partition holds), on real files through the real ingest into a real warehouse, with a
rejected row, a superseded month, a delivery from before fingerprints existed, and the worker's
pseudonyms of a large column.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pytest

from ingest.corrections import fingerprints
from ingest.landing import LocalLandingZone
from ingest.pipeline import ingest_landing
from ingest.pseudonymise import PARALLEL_FROM, PendingPseudonyms, Pseudonymiser
from synthetic.common import Month
from synthetic.politie import file_key, generate_police
from tests.conftest import create_scratch_database, drop_database
from tests.ingest.helpers import join_csv, split_csv

FEED = "politie_registraties"


@pytest.fixture(scope="module")
def url() -> str:
    url = create_scratch_database("corrections")
    yield url
    if not os.environ.get("KEEP_TEST_DATABASE"):
        drop_database(url)




def _told(reasons: list[str]) -> int:
    said = [int(m.group(1)) for r in reasons if (m := re.match(r"(\d+) regels? he(?:eft|bben) een registratienummer",
                                                                r))]
    return said[0] if said else 0


def _by_join(conn: psycopg.Connection, delivery_id: int) -> int:
    """The definition: loaded rows of this delivery whose pseudonym another current delivery holds."""
    return conn.execute(
        "select count(*) from raw.politie_registraties n where n.delivery_id = %(d)s and exists ("
        " select from raw.politie_registraties o join audit.deliveries a using (delivery_id)"
        " where a.is_current and o.delivery_id <> %(d)s"
        " and o.registratienummer_pseudoniem = n.registratienummer_pseudoniem)", {"d": delivery_id}).fetchone()[0]


def test_fingerprints_are_the_first_64_bits_in_python_and_in_sql(url: str, pseudonym_key: bytes) -> None:
    values = [f"PL0900-{i:08d}" for i in range(PARALLEL_FROM + 1000)]
    values[3] = None
    worker = PendingPseudonyms(Pseudonymiser(pseudonym_key), pseudonym_key, values)  # the worker process
    in_process = PendingPseudonyms(Pseudonymiser(pseudonym_key), pseudonym_key, values[:500])
    keep = np.ones(len(values), dtype=bool)
    keep[[0, 7, len(values) - 1]] = False
    for pseudonyms, kept in ((worker.slice(0, len(values)), keep), (in_process.slice(0, 500), keep[:500])):
        got = fingerprints(pseudonyms, kept)
        hexes = pseudonyms.to_pylist()
        wanted = [int(h[:16], 16) for h, k in zip(hexes, kept) if h is not None and k]
        assert got.tolist() == [w - (1 << 64) if w >= 1 << 63 else w for w in wanted]
        with psycopg.connect(url) as conn:
            in_sql = conn.execute("select array_agg((('x' || left(h, 16))::bit(64)::bigint) order by n)"
                                  " from unnest(%s::text[]) with ordinality as u(h, n) where h is not null",
                                  ([h for h, k in zip(hexes, kept) if k],)).fetchone()[0]
        assert got.tolist() == in_sql
    worker.wait()
    assert fingerprints(pa.array([None, None], type=pa.string())).tolist() == []


def test_the_count_equals_the_join_it_replaced(url: str, tmp_path: Path, pseudonym_key: bytes) -> None:
    months = [Month.parse(m) for m in ("2026-01", "2026-02", "2026-03")]
    (jan_key, jan), (feb_key, feb), (mar_key, mar) = generate_police(41, months)
    header, january = split_csv(jan)
    _, february = split_csv(feb)
    _, march = split_csv(mar)
    number, modus = header.index("registratienummer"), header.index("modus")
    # February repeats 40 of January's numbers; one of those rows is rejected (not loaded, not counted).
    for row, again in zip(february[:40], january[:40]):
        row[number] = again[number]
    february[0][modus] = "onbekend"
    # March repeats 30 of January's and 20 of February's.
    for row, again in zip(march[:30], january[100:130]):
        row[number] = again[number]
    for row, again in zip(march[30:50], february[200:220]):
        row[number] = again[number]

    zone = LocalLandingZone(tmp_path / "store")
    results = []
    for key, rows in ((jan_key, january), (feb_key, february)):
        zone.put(key, join_csv(header, rows))
        results += ingest_landing(zone, url, feeds=[FEED], key=pseudonym_key)
    jan_result, feb_result = results
    assert feb_result.rows_rejected == 1
    with psycopg.connect(url, autocommit=True) as conn:
        assert _told(feb_result.reasons) == _by_join(conn, feb_result.delivery_id) == 39
        # A delivery loaded before fingerprints existed: the count computes them from its partition.
        conn.execute("delete from audit.delivery_keys where delivery_id = %s", (jan_result.delivery_id,))

    zone.put(mar_key, join_csv(header, march))
    (mar_result,) = ingest_landing(zone, url, feeds=[FEED], key=pseudonym_key)
    with psycopg.connect(url, autocommit=True) as conn:
        assert _told(mar_result.reasons) == _by_join(conn, mar_result.delivery_id) == 50
        stored = dict(conn.execute("select delivery_id, length(fingerprints) / 8 from audit.delivery_keys"))
    assert stored == {jan_result.delivery_id: jan_result.rows_loaded, feb_result.delivery_id: feb_result.rows_loaded,
                      mar_result.delivery_id: mar_result.rows_loaded}

    # January again, corrected: it supersedes the first January, whose fingerprints go with it, and
    # the new one repeats what February and March took from January (the first January no longer counts).
    january[500][header.index("schadebedrag")] = "1,00"
    zone.put(file_key(months[0]), join_csv(header, january))
    (again,) = ingest_landing(zone, url, feeds=[FEED], key=pseudonym_key)
    with psycopg.connect(url, autocommit=True) as conn:
        assert _told(again.reasons) == _by_join(conn, again.delivery_id) == 39 + 30
        stored = {r[0] for r in conn.execute("select delivery_id from audit.delivery_keys")}
    assert stored == {feb_result.delivery_id, mar_result.delivery_id, again.delivery_id}
