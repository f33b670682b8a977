"""Audiences derived from the gemeenten reference data (pure logic, no server)."""
from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
import yaml

from dashboards import audiences as audience_specs
from dashboards.spec import SPECS_DIR, load_audiences, load_dashboards
from warehouse.reference import REFERENCE_DIR


def _current(reference_dir: Path = REFERENCE_DIR) -> list[dict[str, str]]:
    with open(reference_dir / "gemeenten.csv", newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if not r["geldig_tot"]]


def test_one_audience_per_basisteam_and_district_and_the_region() -> None:
    rows = _current()
    audiences = load_audiences()
    roles = {a.role: a for a in audiences.values()}
    teams = {"reporter_" + r["basisteam_code"].lower().replace("-", "_") for r in rows}
    districts = {"reporter_district_" + re.sub(r"[^a-z0-9]+", "_", r["district"].lower()) for r in rows}
    assert set(roles) == teams | districts | {"reporter_regio"}
    assert "reporter_district_gooi_en_vechtstreek" in roles
    for role in districts:
        district = next(r["district"] for r in rows
                        if "reporter_district_" + re.sub(r"[^a-z0-9]+", "_", r["district"].lower()) == role)
        assert set(roles[role].gemeenten) == {r["gemeentecode"] for r in rows if r["district"] == district}
        assert roles[role].level == "district" and district in roles[role].group
    # Every audience its own group, connection and password variable.
    for attr in ("group", "connection", "password_env"):
        values = [getattr(a, attr) for a in audiences.values()]
        assert len(set(values)) == len(values), attr


def test_the_local_picture_goes_to_every_audience_and_the_monitor_to_the_stuurgroep() -> None:
    dashboards = {d.key: d for d in load_dashboards()}
    assert set(dashboards["lokaal_informatiebeeld"].audiences) == set(load_audiences())
    assert dashboards["jaarplan_monitor"].audiences == ["stuurgroep"]
    assert "reporting.jaarplan_kpi" in dashboards["jaarplan_monitor"].reads
    assert "reporting.leveringen" in dashboards["leveringen_en_datakwaliteit"].reads
    cyber = dashboards["cyberbeeld_midden_nederland"]
    assert "stuurgroep" in cyber.audiences and any(a.startswith("district_") for a in cyber.audiences)


def test_a_new_basisteam_or_a_moved_gemeente_needs_only_the_reference_data(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, reference)
    path = reference / "gemeenten.csv"
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    assert fields
    moved = next(r for r in rows if r["gemeentecode"] == "GM0344")
    moved["geldig_tot"] = "2020-01-01"  # ended: a new row takes over with a new basisteam
    rows.append({**moved, "basisteam_code": "MN-US9", "basisteam_naam": "Utrecht-Noord", "district": "Utrecht-Noord",
                 "geldig_van": "2020-01-01", "geldig_tot": ""})
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

    derived = audience_specs.load(SPECS_DIR, reference).by_key
    assert derived["basisteam_mn_us9"].gemeenten == ("GM0344",)
    assert derived["basisteam_mn_us9"].role == "reporter_mn_us9"
    assert derived["district_utrecht_noord"].role == "reporter_district_utrecht_noord"
    assert "basisteam_mn_us1" not in derived and "district_utrecht_stad" not in derived


def _with_derived_members(tmp_path: Path, members: dict[str, list[str]]) -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, specs)
    data = yaml.safe_load((specs / "audiences.yaml").read_text(encoding="utf-8"))
    next(t for t in data["derived"] if t["family"] == "districten")["members"] = members
    (specs / "audiences.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return specs


def test_members_of_a_derived_audience_are_its_own_and_an_unknown_key_is_refused(tmp_path: Path) -> None:
    specs = _with_derived_members(tmp_path / "a", {"district_utrecht_stad": ["secretaris@utrecht.test"]})
    audiences = audience_specs.load(specs).by_key
    assert audiences["district_utrecht_stad"].members == ["secretaris@utrecht.test"]
    assert all(not a.members for k, a in audiences.items() if k != "district_utrecht_stad")
    # A district renamed in the reference data (or a typo) would drop its members silently.
    specs = _with_derived_members(tmp_path / "b", {"district_utrecht": ["secretaris@utrecht.test"]})
    with pytest.raises(ValueError, match="unknown audience.*district_utrecht;"):
        audience_specs.load(specs)
