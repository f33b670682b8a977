"""Partners stay apart in the local landing zone: a link in one gemeente's folder never makes the
loader read or move another partner's delivery, names the file system cannot hold do not stop a
run, and "the same bytes" means the same bytes from the same partner."""
from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from ingest.landing import LocalLandingZone
from ingest.landing.local import NAME_MAX, LinkRefused, fit_name
from tests.ingest.helpers import run

OWN = "gemeenten/GM0344/activiteiten/"
OTHER = "gemeenten/GM0307/activiteiten/"
ACTIVITIES = (b"datum;gemeente;titel;type;doelgroep;campagne;bereik;deelnemers;onderbouwd\r\n"
              b"03-02-2026;GM0344;Voorlichting senioren Zuilen;voorlichting;senioren;;40;;ja\r\n"
              b"10-02-2026;GM0344;Training baliemedewerkers;training;professionals;;12;;nee\r\n")


def deliveries(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select partner, file_name, status, rows_loaded from audit.deliveries"
                            " order by delivery_id").fetchall()


def loaded_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from raw.activiteiten").fetchone()[0]


@pytest.mark.parametrize("target_area", ["landing", "archive"])
def test_a_link_to_another_gemeentes_file_neither_moves_nor_loads_it(target_area, fresh_warehouse_url,
                                                                     pseudonym_key, tmp_path: Path):
    """The link in GM0307's folder points at GM0344's delivery: waiting in landing, or already
    kept in the archive (which a loader following links would read again, and move away)."""
    zone = LocalLandingZone(tmp_path / "store")
    target = tmp_path / "store" / target_area / OWN / "activiteiten_2026.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(ACTIVITIES)
    link = tmp_path / "store" / "landing" / OTHER / "activiteiten_2026.csv"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)

    assert OTHER + "activiteiten_2026.csv" not in zone.waiting()
    for call in (lambda: zone.read(OTHER + "activiteiten_2026.csv"),
                 lambda: zone.move(OTHER + "activiteiten_2026.csv", "archive", "x/y.csv")):
        with pytest.raises(LinkRefused):
            call()
    results = run(zone, fresh_warehouse_url)

    # GM0344's own file (when waiting) is loaded once, for GM0344; nothing for GM0307.
    expected = [("GM0344", "activiteiten_2026.csv", "loaded", 2)] if target_area == "landing" else []
    assert deliveries(fresh_warehouse_url) == expected
    assert [r.file for r in results] == ([OWN + "activiteiten_2026.csv"] if target_area == "landing" else [])
    assert loaded_rows(fresh_warehouse_url) == len(expected) * 2
    # The link is left where it was, untouched; the target only moved if it was GM0344's own waiting file.
    assert link.is_symlink()
    assert target.exists() == (target_area == "archive")


def test_a_linked_folder_and_a_hard_link_are_not_followed(fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(OWN + "activiteiten_2026.csv", ACTIVITIES)
    own = tmp_path / "store" / "landing" / OWN
    (tmp_path / "store" / "landing" / "gemeenten" / "GM0307").mkdir(parents=True)
    (tmp_path / "store" / "landing" / OTHER.rstrip("/")).symlink_to(own, target_is_directory=True)
    (tmp_path / "store" / "landing" / "gemeenten" / "GM0353" / "activiteiten").mkdir(parents=True)
    os.link(own / "activiteiten_2026.csv",
            tmp_path / "store" / "landing" / "gemeenten" / "GM0353" / "activiteiten" / "kopie.csv")

    assert zone.waiting() == []  # the original now has two names: neither is taken for a delivery
    assert run(zone, fresh_warehouse_url) == []
    assert deliveries(fresh_warehouse_url) == []
    assert (own / "activiteiten_2026.csv").read_bytes() == ACTIVITIES


def test_dot_segments_are_refused(tmp_path: Path):
    zone = LocalLandingZone(tmp_path / "store")
    for key in ["../archive/x.csv", OWN + "../../GM0307/activiteiten/x.csv", "/etc/passwd", ""]:
        with pytest.raises(ValueError):
            zone.read(key)


def test_a_name_longer_than_the_file_system_allows_is_kept_and_reported(fresh_warehouse_url, pseudonym_key,
                                                                        tmp_path: Path):
    """A 240-character name fits in landing, but not as '<delivery>__<name>.rapport.txt' in the
    archive: that failed on every run. Shortened names stay distinct and the run is repeatable."""
    zone = LocalLandingZone(tmp_path / "store")
    long_name = "activiteiten_" + "x" * 223 + ".csv"
    assert len(long_name) == 240
    bad = ACTIVITIES + b"11-02-2026;GM0344;Onbekend type;geen-type;senioren;;5;;ja\r\n"
    zone.put(OWN + long_name, bad)
    zone.put(OTHER + long_name, bad.replace(b"GM0344", b"GM0307"))
    results = run(zone, fresh_warehouse_url)
    assert sorted((r.status, r.rows_loaded, r.rows_rejected) for r in results) == [("loaded", 2, 1)] * 2
    for r in results:
        for kept in (r.stored_key, r.report_key):
            assert Path(kept).exists() and len(Path(kept).name.encode()) <= NAME_MAX
    assert len({Path(r.report_key).name for r in results}) == 2
    assert zone.waiting() == []
    assert run(zone, fresh_warehouse_url) == []


def test_fit_name_keeps_short_names_and_shortens_long_ones_distinctly():
    assert fit_name("a.csv") == "a.csv"
    one, two = fit_name("1__" + "é" * 200 + ".csv.rapport.txt"), fit_name("2__" + "é" * 200 + ".csv.rapport.txt")
    assert one != two and one.endswith(".rapport.txt") and len(one.encode()) <= NAME_MAX
    assert fit_name("1__" + "é" * 200 + ".csv.rapport.txt") == one


def test_the_same_bytes_from_another_partner_are_no_duplicate(fresh_warehouse_url, pseudonym_key, tmp_path: Path):
    """GM0307 sending GM0344's file is processed as GM0307's delivery (and its rows for another
    gemeente rejected), not waved through as 'byte voor byte gelijk aan levering 1', which would
    tell GM0307 about GM0344's delivery and leave GM0307's file unchecked."""
    zone = LocalLandingZone(tmp_path / "store")
    zone.put(OWN + "activiteiten_2026.csv", ACTIVITIES)
    zone.put(OTHER + "activiteiten_2026.csv", ACTIVITIES)
    results = {r.file.split("/")[1]: r for r in run(zone, fresh_warehouse_url)}
    assert results["GM0344"].status == "loaded"
    assert results["GM0307"].status == "quarantined"
    assert results["GM0307"].rows_rejected == 2
    assert not any("levering" in reason and "gelijk" in reason for reason in results["GM0307"].reasons)
    # and the same partner sending it again is a duplicate, as before
    zone.put(OWN + "activiteiten_2026_opnieuw.csv", ACTIVITIES)
    (again,) = run(zone, fresh_warehouse_url)
    assert again.status == "duplicate"
