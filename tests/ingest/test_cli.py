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
    assert all(set(f) >= SHAPE for f in files)
    assert (files[0]["rows_received"], files[0]["rows_loaded"], files[0]["rows_rejected"]) == (31, 30, 1)
    assert "modus: geen toegestane waarde" in files[0]["reasons"][0]
    assert files[1]["reasons"] == ["Het bestand is leeg."]

    deliver(zone, "registraties_online_202601.csv", csv_bytes(valid_rows(30) + [row(99, modus="fout")]))
    cli("ingest", "--landing", str(tmp_path / "store"), "--json", url=fresh_warehouse_url)
    listed = json.loads(cli("deliveries", "--json", url=fresh_warehouse_url).stdout)
    assert [d["status"] for d in listed] == ["loaded", "quarantined", "duplicate"]
    assert all(set(d) >= SHAPE for d in listed)
    assert listed[0]["file"] == "politie/registraties/registraties_online_202601.csv"


def said(result) -> str:
    """The command's message as one line: typer draws errors in a box that wraps long lines."""
    return " ".join(result.output.replace("│", " ").split())


def test_ingest_refuses_the_landing_area_itself(tmp_path: Path):
    """A newcomer points --store at the folder of partner files; it must say so, not load nothing."""
    from typer.testing import CliRunner

    from infopositie.cli import app

    area = tmp_path / "bestanden"
    (area / "politie" / "registraties").mkdir(parents=True)
    (area / "politie" / "registraties" / "registraties_online_202601.csv").write_bytes(b"x")
    result = CliRunner().invoke(app, ["ingest", "--store", str(area)])
    assert result.exit_code == 2
    assert "looks like the landing area itself" in said(result) and "pass its parent" in said(result)
    assert not (area / "landing").exists()


def test_ingest_refuses_a_store_that_is_not_there(tmp_path: Path):
    from typer.testing import CliRunner

    from infopositie.cli import app

    result = CliRunner().invoke(app, ["ingest", "--store", str(tmp_path / "nergens")])
    assert result.exit_code == 2
    assert "does not exist" in said(result)
    assert not (tmp_path / "nergens").exists()


def test_landing_is_a_deprecated_name_for_store(tmp_path: Path):
    from typer.testing import CliRunner

    from infopositie.cli import app

    area = tmp_path / "bestanden"
    (area / "om" / "instroom").mkdir(parents=True)
    result = CliRunner().invoke(app, ["ingest", "--landing", str(area)])
    assert result.exit_code == 2
    assert "--landing is deprecated" in said(result) and "looks like the landing area itself" in said(result)


def test_generate_refuses_to_write_into_the_landing_area_itself(tmp_path: Path):
    from typer.testing import CliRunner

    from infopositie.cli import app

    area = tmp_path / "landing"
    (area / "riec" / "casussen").mkdir(parents=True)
    result = CliRunner().invoke(app, ["generate", "--store", str(area)])
    assert result.exit_code == 2
    assert "looks like the landing area itself" in said(result)
    assert not (area / "landing").exists()


def test_generate_refuses_what_it_cannot_use(tmp_path: Path):
    from typer.testing import CliRunner

    from infopositie.cli import app

    store = str(tmp_path / "store")
    for args, message in ((["--from", "2025-13"], "is not a month"),
                          (["--from", "2025-06", "--to", "2025-01"], "lies before"),
                          (["--batch", "1"], "add --defects")):
        result = CliRunner().invoke(app, ["generate", "--store", store, *args])
        assert result.exit_code == 2, result.output
        assert message in said(result)
    assert not (tmp_path / "store").exists()


def test_every_command_explains_itself():
    """Help texts are rendered as markup: a stray bracket in one breaks that command's --help."""
    from typer.testing import CliRunner

    from infopositie.cli import app

    commands = [["generate"], ["ingest"], ["deliveries"], ["build"], ["report"], ["demo"], ["warehouse", "url"],
                ["warehouse", "migrate"], ["warehouse", "stop"], ["dashboards", "apply"], ["contracts", "render"]]
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
