"""`infopositie bench scale` at a tiny size: the command runs end to end as a user runs it (a
process, on a scratch warehouse), its last line is the JSON object the issue asks for, and what
it says landed did land: the synthetic units in the reference and in reporting, the police rows
in raw, the new month in the marts after the incremental build."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bench.scale import ScaleSize, synthetic_reference
from tests.conftest import create_scratch_database, drop_database
from warehouse.reference import REFERENCE_DIR

CLI = str(Path(sys.executable).parent / "infopositie")
KEYS = {"municipalities", "years", "police_rows", "full_build_s", "incremental_build_s", "queries", "query_p95_ms"}
# Tiny: the real 38 and four synthetic gemeenten in two synthetic units, one year, a few thousand rows.
SIZE = ScaleSize(municipalities=42, units=3, years=1, police_rows=3000, queries=25)


def test_synthetic_reference_keeps_the_real_38_and_marks_the_rest(tmp_path: Path) -> None:
    out = synthetic_reference(tmp_path, ScaleSize(), REFERENCE_DIR)
    with open(REFERENCE_DIR / "gemeenten.csv", newline="", encoding="utf-8") as f:
        real = list(csv.DictReader(f))
    with open(out / "gemeenten.csv", newline="", encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert written[:len(real)] == real
    synthetic = written[len(real):]
    assert len(written) == 342 and len({r["gemeentecode"] for r in written}) == 342
    assert {r["eenheid_code"] for r in written} == {"MN", *(f"SY{u}" for u in range(1, 10))}
    for r in synthetic:
        assert r["gemeentecode"] >= "GM9001" and r["gemeentenaam"].startswith("Synthetische gemeente")
        assert r["district"].startswith(r["eenheid_code"] + " Synthetisch")
    # Every synthetic unit has districts and basisteams of its own: the regio level is per unit.
    assert len({r["district"] for r in synthetic}) == 27


@pytest.fixture()
def scale_url() -> str:
    url = create_scratch_database("scale_test")
    yield url
    drop_database(url)


@pytest.mark.slow
def test_bench_scale_tiny(scale_url: str, pseudonym_key: bytes, tmp_path: Path) -> None:
    env = {**os.environ, "WAREHOUSE_URL": scale_url, "INFOPOSITIE_HOME": str(tmp_path / "home"),
           "INFOPOSITIE_DBT_TARGET": str(tmp_path / "target")}
    done = subprocess.run(
        [CLI, "bench", "scale", "--json", "--municipalities", str(SIZE.municipalities), "--units", str(SIZE.units),
         "--years", str(SIZE.years), "--police-rows", str(SIZE.police_rows), "--queries", str(SIZE.queries)],
        env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures.keys() >= KEYS
    assert figures["municipalities"] == SIZE.municipalities and figures["years"] == SIZE.years
    assert figures["queries"] == SIZE.queries and figures["query_p95_ms"] > 0
    assert figures["files_not_loaded"] == 0 and figures["files_loaded"] > 0
    assert figures["full_build_s"] > 0 and figures["incremental_build_s"] > 0

    with psycopg.connect(scale_url) as conn:
        def one(query: str) -> object:
            return conn.execute(query).fetchone()[0]

        assert one("select count(*) from raw.politie_registraties") == figures["police_rows"]
        # The history holds at least the rows asked for; the new month comes on top.
        assert figures["police_rows"] - figures["new_month_rows"] >= SIZE.police_rows
        assert one("select count(*) from reference.gemeenten where geldig_tot is null") == SIZE.municipalities
        # One region row per unit, the real one as it always was.
        assert one("select array_agg(distinct gebied_code order by gebied_code) from reporting.lokaal_beeld_kwartaal"
                   " where niveau = 'regio'") == ["MN", "SY1", "SY2"]
        assert one("select gebied_naam from reporting.lokaal_beeld_kwartaal where gebied_code = 'MN' limit 1") \
            == "Midden-Nederland"
        # The incremental build brought the new month into the marts.
        assert one("select count(*) from marts.fct_registraties f join audit.deliveries d using (delivery_id)"
                   " where d.delivery_id = (select max(delivery_id) from audit.deliveries"
                   "                        where feed = 'politie_registraties')") == figures["new_month_rows"]
