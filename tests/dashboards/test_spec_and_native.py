"""The dashboard specs and Metabase's native-query templating (pure logic, no server)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from dashboards.metabase import native
from dashboards.spec import SPECS_DIR, load_audiences, load_dashboards

SPEC_FILE = "lokaal_informatiebeeld.yaml"
EXPOSURES = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "exposures" / "_exposures.yml"


def test_the_specs_load_and_declare_the_dashboard_for_its_audience() -> None:
    audiences = load_audiences()
    dashboards = load_dashboards()
    spec = next(d for d in dashboards if d.key == "lokaal_informatiebeeld")
    assert spec.name == "Lokaal informatiebeeld online criminaliteit"
    assert spec.source == "reporting.lokaal_beeld_kwartaal"
    assert spec.audiences and all(a in audiences for a in spec.audiences)
    assert audiences["stuurgroep"].role == "reporter_regio"
    assert {p.slug for p in spec.parameters} == {"gemeente", "kwartaal"}
    # Every card is filtered by the gemeente: the dashboard is a local picture.
    for card in spec.cards:
        assert "gemeente" in native.tags_in(spec.card_sql(card)), card.key


def test_the_dashboard_exposure_depends_on_every_relation_its_cards_read() -> None:
    """dbt docs and the catalogue know a dashboard by its exposure: it must name all it reads."""
    exposures = yaml.safe_load((EXPOSURES).read_text(encoding="utf-8"))["exposures"]
    for spec in load_dashboards():
        (exposure,) = [e for e in exposures if e["label"] == spec.name]
        assert exposure["name"] == f"dashboard_{spec.key}"
        assert sorted(exposure["depends_on"]) == sorted(f"ref('{r.split('.', 1)[1]}')" for r in spec.reads)
    # Both ways: no Metabase exposure outlives its spec (a dropped or renamed dashboard).
    metabase = {e["name"] for e in exposures if e.get("config", {}).get("meta", {}).get("tool") == "metabase"}
    assert metabase == {f"dashboard_{spec.key}" for spec in load_dashboards()}
    reads = {r for spec in load_dashboards() for r in spec.reads}
    assert {"reporting.schade_kwartaal", "reporting.fraudemeldingen_kwartaal", "reporting.activiteiten_kwartaal",
            "reporting.riec_casussen_kwartaal"} <= reads


def test_a_card_may_read_an_also_read_relation_but_never_another_layer(tmp_path: Path) -> None:
    def also_marts(data: dict) -> None:
        data["also_reads"] = ["marts.fct_registraties"]
    with pytest.raises(ValueError, match="only read relations in reporting"):
        load_dashboards(_variant(tmp_path / "a", also_marts))
    # Not listed in also_reads: refused, although it is in reporting.
    specs = _variant(tmp_path / "b", _set_sql(
        "select k.aantal from reporting.lokaal_beeld_kwartaal k join reporting.dark_number d on true"
        " where {{gemeente}}"))
    with pytest.raises(ValueError, match="may only read"):
        load_dashboards(specs)


def _variant(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    specs = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, specs)
    data = yaml.safe_load((specs / SPEC_FILE).read_text(encoding="utf-8"))
    change(data)
    (specs / SPEC_FILE).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return specs


def _set_sql(sql: str):  # type: ignore[no-untyped-def]
    def change(data: dict) -> None:
        data["cards"][0]["sql"] = sql
    return change


@pytest.mark.parametrize("sql, message", [
    ("select coalesce(aantal, 0) from reporting.lokaal_beeld_kwartaal where {{gemeente}}", "never turn"),
    ("select aantal from raw.politie_registraties where {{gemeente}}", "may only read"),
    ("select k.aantal from reporting.lokaal_beeld_kwartaal k join marts.fct_registraties f on true", "may only read"),
    ("select aantal from reporting.lokaal_beeld_kwartaal where {{onbekend}}", "not a declared parameter"),
    ("select aantal from reporting.lokaal_beeld_kwartaal where gebied_naam = {{gemeente}}", "stand alone"),
    ("select aantal from reporting.lokaal_beeld_kwartaal where true [[and periode = {{kwartaal}}", "matching"),
    ("select aantal from reporting.lokaal_beeld_kwartaal where true [[and niveau = 'regio']]", "without a parameter"),
])
def test_a_card_that_breaks_a_rule_is_refused(tmp_path: Path, sql: str, message: str) -> None:
    specs = _variant(tmp_path, _set_sql(sql))
    with pytest.raises(ValueError, match=message):
        load_dashboards(specs)


def test_overlapping_cards_and_unknown_audiences_are_refused(tmp_path: Path) -> None:
    def overlap(data: dict) -> None:
        data["cards"][1]["layout"] = dict(data["cards"][0]["layout"])
    with pytest.raises(ValueError, match="overlaps"):
        load_dashboards(_variant(tmp_path / "a", overlap))

    def stranger(data: dict) -> None:
        data["audiences"] = ["onbekend_publiek"]
    with pytest.raises(ValueError, match="unknown audience"):
        load_dashboards(_variant(tmp_path / "b", stranger))


# -- native-query templating ----------------------------------------------------------------------
COLUMNS = {7: ("reporting", "lokaal_beeld_kwartaal", "gebied_naam")}
TAGS = {
    "gemeente": native.Tag("gemeente", "dimension", field_id=7, widget_type="string/="),
    "kwartaal": native.Tag("kwartaal", "text"),
}
SQL = "select 1 from t where {{gemeente}} [[and periode = {{kwartaal}}]]"


def test_empty_parameters_drop_optional_clauses_and_empty_field_filters_become_1_is_1() -> None:
    assert native.render(SQL, TAGS, {}, COLUMNS.__getitem__) == "select 1 from t where 1=1 "


def test_set_parameters_keep_the_clause_and_render_the_field_filter_as_a_condition() -> None:
    rendered = native.render(SQL, TAGS, {"gemeente": "Utrecht", "kwartaal": "2026-Q1"}, COLUMNS.__getitem__)
    assert rendered == ('select 1 from t where "reporting"."lokaal_beeld_kwartaal"."gebied_naam" = \'Utrecht\' '
                        "and periode = '2026-Q1'")


def test_field_filter_with_several_values_and_quotes_in_values() -> None:
    rendered = native.render("where {{gemeente}}", TAGS, {"gemeente": ["De Bilt", "'s-Graveland"]}, COLUMNS.__getitem__)
    assert rendered == """where "reporting"."lokaal_beeld_kwartaal"."gebied_naam" IN ('De Bilt', '''s-Graveland')"""


def test_a_variable_outside_an_optional_clause_needs_a_value_or_a_default() -> None:
    with pytest.raises(native.NativeQueryError, match="pick a value"):
        native.render("where periode = {{kwartaal}}", TAGS, {})
    with_default = {"kwartaal": native.Tag("kwartaal", "text", default="2025-Q4")}
    assert native.render("where periode = {{kwartaal}}", with_default, {}) == "where periode = '2025-Q4'"


def test_a_tag_without_definition_is_an_error() -> None:
    with pytest.raises(native.NativeQueryError, match="no template tag"):
        native.render("where {{x}}", {}, {"x": "1"})
