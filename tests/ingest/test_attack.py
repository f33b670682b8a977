"""Tests that attack: random and mutated bytes into the readers and the whole ingest, two ingest
runs at once on one landing zone, and 2,000 small files in one run.

Hypothesis runs derandomized (the same examples every run, so a failure reproduces and the
test's time is bounded) with a fixed number of examples per test.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.contracts import load_contract
from ingest.errors import FileRefused
from ingest.landing import LocalLandingZone
from ingest.pipeline import ingest_landing
from ingest.readers import read_delivery
from synthetic import build_deliveries
from tests.ingest.helpers import csv_bytes, valid_rows

FINAL = {"loaded", "quarantined", "duplicate", "aborted"}


def _samples() -> dict[str, tuple[str, bytes]]:
    """One small valid delivery per reader: CSV (police), XLSX (OM), JSON (a bank)."""
    (batch,) = build_deliveries(start="2026-01", end="2026-03", seed=5,
                                feeds=["om_instroom", "fraudemeldingen"])
    files = dict(batch)
    om = next(k for k in files if k.startswith("om/"))
    bank = next(k for k in files if k.startswith("partners/"))
    return {"politie_registraties": ("politie/registraties/registraties_online_202601.csv",
                                     csv_bytes(valid_rows(6))),
            "om_instroom": (om, files[om]), "fraudemeldingen": (bank, files[bank])}


SAMPLES = _samples()


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """A valid file with a few bytes flipped, inserted, deleted or a slice repeated or cut."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        how = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "truncate"]))
        if how == "flip":
            out[at] = draw(st.integers(0, 255))
        elif how == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif how == "delete":
            del out[at:at + draw(st.integers(1, 16))]
        elif how == "repeat":
            out[at:at] = out[at:at + draw(st.integers(1, 64))] * draw(st.integers(1, 8))
        else:
            del out[at:]
    return bytes(out)


def _bytes_for(feed: str) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(SAMPLES[feed][1]), st.binary(max_size=512))


FEEDS = sorted(SAMPLES)


@pytest.mark.parametrize("feed", FEEDS)
def test_readers_take_any_bytes_and_refuse_or_account_for_every_row(feed):
    """A reader either refuses the file (FileRefused, a Dutch reason) or returns a table in which
    every row received is either parsed or listed as unreadable."""
    contract = load_contract(feed)
    key = SAMPLES[feed][0]

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=_bytes_for(feed))
    def check(data: bytes) -> None:
        try:
            table, _ = read_delivery(contract, data, key.rsplit("/", 1)[1])
        except FileRefused as refused:
            assert refused.reason
            return
        assert table.rows_received == len(table.frame) + len(table.unreadable)
        assert len(table.line_numbers) == len(table.frame)

    check()


def _statuses(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [s for (s,) in conn.execute("select status from audit.deliveries order by delivery_id")]


@pytest.mark.parametrize("feed", sorted(SAMPLES))  # its 12 examples do not hit the XmlError above
def test_the_ingest_gives_any_bytes_one_final_outcome(feed, fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    """Whole files through the whole pipeline: one final outcome each, rows received = loaded +
    rejected, nothing left waiting or in progress. Few examples: each is a real ingest."""
    zone = LocalLandingZone(tmp_path / "store")
    seen = {"n": 0}

    @settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(content=_bytes_for(feed))
    def check(content: bytes) -> None:
        key = SAMPLES[feed][0]
        seen["n"] += 1
        zone.put(key, content)
        results = ingest_landing(zone, fresh_warehouse_url, key=pseudonym_key)
        assert len(results) == 1, results
        (r,) = results
        assert r.status in FINAL, r.as_dict()
        assert r.rows_received == r.rows_loaded + r.rows_rejected, r.as_dict()
        assert zone.waiting() == []
        assert set(_statuses(fresh_warehouse_url)) <= FINAL

    check()
    assert len(_statuses(fresh_warehouse_url)) == seen["n"]


def _ingest_process(store: Path, url: str) -> subprocess.Popen:
    env = {**os.environ, "WAREHOUSE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "infopositie.cli", "ingest", "--store", str(store), "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_ingest_runs_at_once_lose_and_double_nothing(fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    """Both runs list the same waiting files; each file is processed by exactly one of them, once."""
    store = tmp_path / "store"
    zone = LocalLandingZone(store)
    expected_rows = 0
    for month in range(1, 7):
        rows = valid_rows(20 + month, start=month * 1000, registratiedatum=f"03-{month:02d}-2025",
                          pleegdatum=f"01-{month:02d}-2025")
        zone.put(f"politie/registraties/registraties_online_2025{month:02d}.csv", csv_bytes(rows))
        expected_rows += len(rows)
    for i, gemeente in enumerate(["GM0344", "GM0307", "GM0353"] * 2):
        zone.put(f"gemeenten/{gemeente}/activiteiten/lijst_{i:02d}.csv", _activity(gemeente, i))
    waiting = zone.waiting()
    assert len(waiting) == 12

    first, second = _ingest_process(store, fresh_warehouse_url), _ingest_process(store, fresh_warehouse_url)
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [err[-2000:] for _, err in outputs]
    processed = [r for out, _ in outputs for r in json.loads(out)]
    assert sorted(r["file"] for r in processed) == waiting  # each file by one run, none twice
    assert {r["status"] for r in processed} == {"loaded"}
    assert zone.waiting() == []
    with psycopg.connect(fresh_warehouse_url) as conn:
        assert conn.execute("select count(*), count(distinct object_key) from audit.deliveries").fetchone() == (12, 12)
        assert conn.execute("select count(*), count(distinct registratienummer_pseudoniem)"
                            " from raw.politie_registraties").fetchone() == (expected_rows, expected_rows)
        assert conn.execute("select count(*) from raw.activiteiten").fetchone()[0] == 6
    assert len(list((store / "archive").rglob("*.sealed"))) == 12


def _activity(gemeente: str, i: int) -> bytes:
    return ("datum;gemeente;titel;type;doelgroep;campagne;bereik;deelnemers;onderbouwd\r\n"
            f"03-02-2026;{gemeente};Activiteit {i};voorlichting;senioren;;{i};;ja\r\n").encode()


FILES = 2000


def test_two_thousand_small_files_in_one_run_with_exact_counts(fresh_warehouse_url, pseudonym_key,
                                                               tmp_path: Path):
    """2,000 one-row activity files across four gemeenten, 1 in 50 a duplicate of an earlier one
    and 1 in 40 with a bad row: every count exact. (How long it takes is printed, not asserted:
    speed is for benchmarks.)"""
    zone = LocalLandingZone(tmp_path / "store")
    gemeenten = ["GM0344", "GM0307", "GM0353", "GM0356"]
    expected = {"loaded": 0, "quarantined": 0, "duplicate": 0}
    for i in range(FILES):
        g = gemeenten[i % 4]
        if i % 50 == 49:
            data, status = _activity(g, i - 4), "duplicate"  # the same bytes as this gemeente's file i - 4
        elif i % 40 == 7:
            data, status = _activity(g, i).replace(b"voorlichting", b"geen-type"), "quarantined"
        else:
            data, status = _activity(g, i), "loaded"
        zone.put(f"gemeenten/{g}/activiteiten/act_{i:05d}.csv", data)
        expected[status] += 1
    started = time.monotonic()
    results = ingest_landing(zone, fresh_warehouse_url, key=pseudonym_key)
    took = time.monotonic() - started
    counts = {s: sum(1 for r in results if r.status == s) for s in expected}
    assert len(results) == FILES and counts == expected
    with psycopg.connect(fresh_warehouse_url) as conn:
        assert conn.execute("select count(*) from raw.activiteiten").fetchone()[0] == expected["loaded"]
        assert conn.execute("select count(*) from audit.deliveries").fetchone()[0] == FILES
    print(f"{FILES} one-row files in {took:.0f} s ({1000 * took / FILES:.0f} ms per file)")
