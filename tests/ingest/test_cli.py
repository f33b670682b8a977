"""The engineers' command line, run as a real subprocess against a real warehouse."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingest.landing import LocalLandingZone
from tests.ingest.helpers import csv_bytes, deliver, row, valid_rows

SHAPE = {"file", "feed", "status", "rows_received", "rows_loaded", "rows_rejected", "reasons"}


def cli(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WAREHOUSE_URL": url}
    return subprocess.run([sys.executable, "-m", "infopositie.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_ingest_json_and_deliveries_json(fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    zone = LocalLandingZone(tmp_path / "store")
    deliver(zone, "registraties_online_202601.csv", csv_bytes(valid_rows(30) + [row(99, modus="fout")]))
    deliver(zone, "registraties_online_202602.csv", b"")
    out = cli("ingest", "--landing", str(tmp_path / "store"), "--json", url=fresh_warehouse_url)
    assert out.returncode == 0, out.stderr
    files = json.loads(out.stdout)
    assert [f["status"] for f in files] == ["loaded", "quarantined"]
    assert all(SHAPE <= set(f) for f in files)
    assert (files[0]["rows_received"], files[0]["rows_loaded"], files[0]["rows_rejected"]) == (31, 30, 1)
    assert "modus: 'fout' is geen toegestane waarde" in files[0]["reasons"][0]
    assert files[1]["reasons"] == ["Het bestand is leeg."]

    deliver(zone, "registraties_online_202601.csv", csv_bytes(valid_rows(30) + [row(99, modus="fout")]))
    cli("ingest", "--landing", str(tmp_path / "store"), "--json", url=fresh_warehouse_url)
    listed = json.loads(cli("deliveries", "--json", url=fresh_warehouse_url).stdout)
    assert [d["status"] for d in listed] == ["loaded", "quarantined", "duplicate"]
    assert all(SHAPE <= set(d) for d in listed)
    assert listed[0]["file"] == "politie/registraties/registraties_online_202601.csv"
