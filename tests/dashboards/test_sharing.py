"""Sharing preferences (specs/deling.yaml): the default shares everything; a preference narrows
what the dashboards and documents show to the district werkgroep or the stuurgroep."""
from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
import yaml

from dashboards.check import check_all, rendered_cards
from dashboards.sharing import EVERYTHING_SHARED, Sharing
from dashboards.spec import SPECS_DIR, load_audiences, load_dashboards, load_sharing


def _specs(tmp_path: Path, voorkeuren: list[dict]) -> Path:
    specs = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, specs)
    (specs / "deling.yaml").write_text(yaml.safe_dump({"voorkeuren": voorkeuren}, allow_unicode=True), encoding="utf-8")
    return specs


def test_the_declared_default_shares_everything() -> None:
    assert load_sharing() == EVERYTHING_SHARED


def test_a_preference_withholds_from_the_levels_it_names_never_from_the_own_driehoek(tmp_path: Path) -> None:
    specs = _specs(tmp_path, [
        {"gemeente": "GM0344", "deelt_niet": [{"onderdeel": "lokaal_informatiebeeld", "met": ["regio"]}]},
        {"basisteam": "MN-GV2", "deelt_niet": [{"onderdeel": "gemeenten_naast_elkaar", "met": ["district"]}]},
    ])
    sharing = load_sharing(specs)
    audiences = load_audiences(specs)
    assert sharing.withheld("lokaal_informatiebeeld", audiences["stuurgroep"]) == ("GM0344",)
    assert sharing.withheld("lokaal_informatiebeeld", audiences["district_utrecht_stad"]) == ()
    assert sharing.withheld("lokaal_informatiebeeld", audiences["basisteam_mn_us1"]) == ()
    assert (sharing.withheld_for_level("gemeenten_naast_elkaar", "district")
            == set(audiences["basisteam_mn_gv2"].gemeenten))

    dashboard = next(d for d in load_dashboards(specs) if d.key == "lokaal_informatiebeeld")
    values = {"gemeente": "Utrecht"}
    regio = dict(rendered_cards(dashboard, audiences["stuurgroep"], ("GM0344",), values))["kerncijfer"]
    own = dict(rendered_cards(dashboard, audiences["basisteam_mn_us1"], (), values))["kerncijfer"]
    assert "gebied_code <> all ('{GM0344}'::text[])" in regio
    assert "<> all" not in own and "niet_gedeeld" not in own


@pytest.mark.parametrize("bad, message", [
    ({"gemeente": "GM9999", "deelt_niet": [{"onderdeel": "lokaal_informatiebeeld", "met": ["regio"]}]},
     "unknown gemeente"),
    ({"gemeente": "GM0344", "deelt_niet": [{"onderdeel": "alles_behalve", "met": ["regio"]}]}, "unknown onderdeel"),
    ({"gemeente": "GM0344", "deelt_niet": [{"onderdeel": "lokaal_informatiebeeld", "met": ["basisteam"]}]}, "met"),
])
def test_a_wrong_preference_is_refused(tmp_path: Path, bad: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_sharing(_specs(tmp_path, [bad]))


def test_the_dashboard_honours_a_withheld_gemeente_on_the_warehouse(reporting_url: str, tmp_path: Path) -> None:
    """The stuurgroep chooses Utrecht on the local picture: with Utrecht's preference it gets the
    region's figure (as for a gemeente it may not see), its own driehoek still gets Utrecht's."""
    specs = _specs(tmp_path, [{"gemeente": "GM0344",
                               "deelt_niet": [{"onderdeel": "lokaal_informatiebeeld", "met": ["regio", "district"]}]}])
    sharing, audiences = load_sharing(specs), load_audiences(specs)
    dashboard = next(d for d in load_dashboards(specs) if d.key == "lokaal_informatiebeeld")

    def key_figure_area(audience_key: str, sharing: Sharing) -> str:
        audience = audiences[audience_key]
        sql = dict(rendered_cards(dashboard, audience, sharing.withheld(dashboard.key, audience),
                                  {"gemeente": "Utrecht"}))["kerncijfer"]
        with psycopg.connect(reporting_url, autocommit=True) as conn:
            conn.execute(f"set role {audience.role}")
            rows = conn.execute(sql).fetchall()
        assert len(rows) == 1
        return rows[0][1]

    assert key_figure_area("stuurgroep", EVERYTHING_SHARED) == "Utrecht"
    assert key_figure_area("stuurgroep", sharing) == "Midden-Nederland"
    assert key_figure_area("district_utrecht_stad", sharing) == "Midden-Nederland"
    assert key_figure_area("basisteam_mn_us1", sharing) == "Utrecht"
    # Every card still runs for every audience with the preference in place.
    assert all(r.ok for r in check_all(reporting_url, specs))


def test_the_district_document_leaves_out_a_gemeente_that_does_not_share(reporting_url: str, tmp_path: Path) -> None:
    import html

    from dashboards.report.render import render_area

    specs = _specs(tmp_path, [{"gemeente": "GM0402",
                               "deelt_niet": [{"onderdeel": "gemeenten_naast_elkaar", "met": ["district"]}]}])
    with psycopg.connect(reporting_url) as conn:
        kwartaal, naam = conn.execute(
            "select max(periode), max(gebied_naam) filter (where gebied_code = 'GM0402')"
            " from reporting.lokaal_beeld_kwartaal").fetchone()
    common = dict(niveau="district", gebied="Gooi en Vechtstreek", kwartaal=kwartaal)
    shared = html.unescape(render_area(reporting_url, out_dir=tmp_path / "a", sharing=EVERYTHING_SHARED,
                                       **common).read_text(encoding="utf-8"))
    withheld = html.unescape(render_area(reporting_url, out_dir=tmp_path / "b", sharing=load_sharing(specs),
                                         **common).read_text(encoding="utf-8"))
    assert f"<td>{naam}</td>" in shared
    assert f"<td>{naam}</td>" not in withheld
    assert "op eigen verzoek" in withheld and naam in withheld.split("op eigen verzoek", 1)[1]
