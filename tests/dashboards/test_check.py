"""`infopositie dashboards check`: every card, as every audience role, on the dbt-built warehouse."""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dashboards.check import check_all, rendered_cards
from dashboards.metabase import native
from dashboards.spec import SPECS_DIR, load_audiences, load_dashboards
from tests.fixtures.fake_metabase import FakeMetabase
from warehouse.reference import REFERENCE_DIR


def _expected_roles() -> set[str]:
    """Every basisteam and district role and the region's, from the reference CSV and the naming
    rule of the issue, apart from the product code."""
    with open(REFERENCE_DIR / "gemeenten.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if not r["geldig_tot"]]
    teams = {"reporter_" + r["basisteam_code"].lower().replace("-", "_") for r in rows}
    districts = {"reporter_district_" + re.sub(r"[^a-z0-9]+", "_", r["district"].lower()) for r in rows}
    assert len(teams) >= 10 and len(districts) >= 5
    return teams | districts | {"reporter_regio"}


@pytest.fixture(scope="module")
def cli_results(reporting_url: str) -> list[dict]:
    from infopositie.cli import app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_URL", reporting_url)
        result = CliRunner().invoke(app, ["dashboards", "check", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_card_runs_for_every_audience_role(cli_results: list[dict]) -> None:
    assert cli_results and all(set(r) == {"dashboard", "card", "audience", "role", "ok", "rows"} for r in cli_results)
    failed = [r for r in cli_results if not r["ok"]]
    assert not failed, failed[:5]
    dashboards = load_dashboards()
    assert len({r["dashboard"] for r in cli_results}) == len(dashboards) >= 4
    # Every card of every dashboard once per audience of that dashboard.
    expected = {(d.key, c.key, a) for d in dashboards for c in d.cards for a in d.audiences}
    assert {(r["dashboard"], r["card"], r["audience"]) for r in cli_results} == expected
    assert len(cli_results) == len(expected)
    assert _expected_roles() <= {r["role"] for r in cli_results}
    # The year-plan monitor is on a dashboard, and its cards return rows for the stuurgroep.
    monitor = [d for d in dashboards if "reporting.jaarplan_kpi" in d.reads]
    assert monitor
    assert all(r["rows"] > 0 for r in cli_results if r["dashboard"] == monitor[0].key)


def test_the_local_picture_shows_rows_to_every_driehoek_and_district(cli_results: list[dict]) -> None:
    """With the filters at their defaults, the key figure of the local picture is there for every
    audience (the region's row, which every reporter may see)."""
    key_figure = [r for r in cli_results if (r["dashboard"], r["card"]) == ("lokaal_informatiebeeld", "kerncijfer")]
    assert len(key_figure) == len(load_audiences())
    assert all(r["rows"] == 1 for r in key_figure), key_figure


def test_the_check_runs_the_sql_the_apply_sends(fake_metabase: FakeMetabase, reporting_url: str,
                                                one_scope: Path) -> None:
    from dashboards.metabase.apply import apply_all
    from tests.dashboards.helpers import Admin

    summary = apply_all(fake_metabase.url, warehouse_url=reporting_url, specs_dir=one_scope)
    admin = Admin(fake_metabase)
    dashboard = load_dashboards(one_scope)[0]
    audience = load_audiences(one_scope)["stuurgroep"]
    stored = {}
    for dc in admin.get(f"/api/dashboard/{summary['dashboards'][0]['id']}")["dashcards"]:
        if dc["card_id"] is not None:
            card = admin.get(f"/api/card/{dc['card_id']}")
            stored[card["name"]] = native.render_card(card, {}, lambda _id: ("", "", ""))
    names = {c.key: c.name for c in dashboard.cards}
    checked = dict(rendered_cards(dashboard, audience))
    assert {names[k]: sql for k, sql in checked.items()} == stored


def test_a_failing_card_is_reported_and_fails_the_command(reporting_url: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(SPECS_DIR, specs)
    path = specs / "jaarplan_monitor.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cards"][0]["sql"] = data["cards"][0]["sql"].replace("k.realisatie as", "k.bestaat_niet as", 1)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    results = check_all(reporting_url, specs)
    failed = [r for r in results if not r.ok]
    assert [(r.dashboard, r.card) for r in failed] == [("jaarplan_monitor", data["cards"][0]["key"])]
    assert failed[0].rows is None and "bestaat_niet" in (failed[0].error or "")
    assert all(r.ok for r in results if r not in failed)

    from infopositie import cli

    monkeypatch.setenv("WAREHOUSE_URL", reporting_url)
    monkeypatch.setattr("dashboards.check.SPECS_DIR", specs)
    result = CliRunner().invoke(cli.app, ["dashboards", "check"])
    assert result.exit_code == 1
    assert "FAILED jaarplan_monitor" in result.output


def test_the_monitor_counts_the_reports_of_the_year_the_register_begins_in(reporting_url: str) -> None:
    """The built warehouse's RIEC register begins with the snapshot of January 2025. The 2025
    bestuurlijke rapportages are then no longer 'geen data': every report on an online case that
    started in 2025 counts, and of an older case the growth after its first 2025 snapshot (a lower
    bound), recomputed here from the register's snapshots."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(reporting_url, row_factory=dict_row) as conn:
        snapshots = conn.execute(
            """select casus_pseudoniem, peildatum, startdatum, online_component, bestuurlijke_rapportages
               from staging.stg_riec__casussen where extract(year from peildatum) = 2025
               order by peildatum""").fetchall()
        conn.execute("set role reporter_regio")
        kpi = conn.execute("""select realisatie, streefwaarde, status from reporting.jaarplan_kpi
                              where indicator = 'bestuurlijke_rapportages' and jaar = 2025""").fetchone()
    assert min(s["peildatum"] for s in snapshots).month == 1
    first: dict[str, int] = {}
    for s in snapshots:
        first.setdefault(s["casus_pseudoniem"], s["bestuurlijke_rapportages"])
    last_day = max(s["peildatum"] for s in snapshots)
    expected = sum(s["bestuurlijke_rapportages"] - (0 if s["startdatum"].year == 2025 else first[s["casus_pseudoniem"]])
                   for s in snapshots if s["peildatum"] == last_day and s["online_component"])
    assert expected > 0
    assert kpi["realisatie"] == expected
    assert kpi["status"] == ("behaald" if expected >= kpi["streefwaarde"] else "niet behaald")
