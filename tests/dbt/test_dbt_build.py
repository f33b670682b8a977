"""The dbt project built for real on a migrated warehouse with a small, realistic raw data set.

Every expectation is computed from the raw layer or the published rows themselves (never typed
in), and the disclosure checks are re-implemented here in Python, independently of the macros.
"""
from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import errors
from psycopg.rows import dict_row

from infopositie.dbt import (
    CATALOG,
    DBT_PROJECT_DIR,
    DOCS_INDEX,
    MANIFEST,
    code_version,
    dbt_docs_generate,
    dbt_invoke,
    dbt_parse,
    unit_tests_passed,
)
from ingest.contracts import load_contract
from tests.conftest import create_scratch_database, drop_database
from tests.dbt.conftest import Build, transformer_may_create_temp_tables
from tests.dbt.raw_data import FEED, current_raw_count
from warehouse.connection import connect

pytestmark = pytest.mark.slow

REPORTING = "reporting.lokaal_beeld_kwartaal"
# docs/sources/feeds/politie_registraties.md: these modi are cybercrime, all others gedigitaliseerd.
CYBERCRIME_MODI = {"ransomware", "hacken", "ddos"}
# The agreed columns of the reporting relation (notes/interfaces.md), in order, with their types.
REPORTING_COLUMNS = [
    ("niveau", "text"), ("gebied_code", "text"), ("gebied_naam", "text"), ("gemeentecode", "text"),
    ("basisteam_code", "text"), ("district", "text"), ("jaar", "integer"), ("kwartaal", "integer"),
    ("periode", "text"), ("uitsplitsing", "text"), ("waarde", "text"), ("aantal", "integer"),
    ("aantal_weergave", "text"), ("onderdrukt", "boolean"), ("inwoners", "integer"),
    ("per_10000_inwoners", "numeric(10,2)"), ("aantal_vorig_jaar", "integer"), ("verandering_pct", "numeric(8,1)"),
]


def _rows(url: str, query: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def _scalar(url: str, query: str, params: tuple = ()):
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


# -- the build itself ------------------------------------------------------------------------------
def test_build_runs_models_data_tests_and_unit_tests(dbt_built: Build) -> None:
    results = dbt_built.run_results["results"]
    failed = [(r["unique_id"], r["status"], r.get("message")) for r in results
              if r["status"] not in ("success", "pass", "no-op")]
    assert dbt_built.returncode == 0, failed
    assert failed == []
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    unit_tests = dbt_built.results_of("unit_test")
    assert {r["unique_id"] for r in unit_tests} == set(manifest["unit_tests"])
    assert len(unit_tests) >= 10
    assert {r["unique_id"] for r in dbt_built.results_of("model")} == {
        k for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    print(f"dbt build: {len(results)} nodes ({len(unit_tests)} unit tests,"
          f" {len(dbt_built.results_of('test'))} data tests) in {dbt_built.run_results['elapsed_time']:.1f}s")


def test_a_full_build_records_its_code_and_the_unit_tests_it_passed(dbt_built: Build) -> None:
    """What lets `infopositie build` skip the unit tests of unchanged code (infopositie/dbt.py)."""
    with psycopg.connect(dbt_built.url) as conn:
        recorded = conn.execute("select selection, status, code_version, unit_tests from audit.dbt_runs"
                                " where invocation_id = %s", (dbt_built.run_results["metadata"]["invocation_id"],)
                                ).fetchone()
    assert recorded == (None, "geslaagd", code_version(), len(dbt_built.results_of("unit_test")))
    assert unit_tests_passed(dbt_built.url, code_version())
    assert not unit_tests_passed(dbt_built.url, "0123456789abcdef")  # other code: run them


def test_the_code_version_follows_the_code_not_the_output_or_the_connection(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    assert code_version(project) == code_version()
    (project / "target").mkdir()
    (project / "target" / "run_results.json").write_text("{}")
    (project / "profiles.yml").write_text((project / "profiles.yml").read_text() + "\n# another warehouse\n")
    assert code_version(project) == code_version()
    model = project / "models" / "marts" / "fct_registraties.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    assert code_version(project) != code_version()


def test_every_object_is_owned_by_transformer(dbt_built: Build) -> None:
    owners = _rows(dbt_built.url, """
        select n.nspname as schema, c.relname as name, pg_get_userbyid(c.relowner) as owner
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('staging', 'intermediate', 'marts', 'reporting') and c.relkind in ('r', 'v')""")
    assert {o["name"] for o in owners} >= {"stg_politie__registraties", "fct_registraties",
                                           "dim_gemeente", "lokaal_beeld_kwartaal"}
    assert {o["owner"] for o in owners} == {"transformer"}


# -- counts ----------------------------------------------------------------------------------------
def test_one_fact_row_per_current_registration(dbt_built: Build) -> None:
    url = dbt_built.url
    with psycopg.connect(url) as conn:
        expected = current_raw_count(conn)
    assert _scalar(url, "select count(*) from marts.fct_registraties") == expected
    assert _scalar(url, "select count(*) from staging.stg_politie__registraties") == expected
    ours = {r["registratienummer_pseudoniem"] for r in dbt_built.data.current_rows}
    present = {r["registratie_pseudoniem"]
               for r in _rows(url, "select registratie_pseudoniem from marts.fct_registraties")}
    assert ours <= present


def test_superseded_delivery_is_not_counted(dbt_built: Build) -> None:
    url = dbt_built.url
    superseded = dbt_built.data.superseded
    assert superseded, "the data set must contain a corrected month"
    old = dbt_built.data.superseded_pseudonyms
    counted = _scalar(url, "select count(*) from marts.fct_registraties where registratie_pseudoniem = any(%s)",
                      (list(old),))
    assert counted == 0
    # The corrected month counts exactly the rows of its current delivery.
    period = superseded[0].period
    current_rows = _scalar(url, """
        select count(*) from raw.politie_registraties r join audit.deliveries d using (delivery_id)
        where d.is_current and d.feed = %s and d.period = %s""", (FEED, period))
    in_fact = _scalar(url, "select count(*) from marts.fct_registraties"
                           " where to_char(registratiemaand, 'YYYY-MM') = %s", (period,))
    assert in_fact == current_rows
    assert current_rows != len(superseded[0].rows)


def test_region_counts_every_current_registration_including_unknown_gemeente(dbt_built: Build) -> None:
    url = dbt_built.url
    # Recounted straight from raw, apart from the dbt models.
    per_quarter = {(r["jaar"], r["kwartaal"]): r for r in _rows(url, """
        select extract(year from registratiedatum)::int as jaar,
               extract(quarter from registratiedatum)::int as kwartaal,
               count(*) as alle, count(*) filter (where pleeggemeente is null) as onbekend
        from raw.politie_registraties r join audit.deliveries d using (delivery_id)
        where d.is_current and d.feed = %s group by 1, 2""", (FEED,))}
    region = _rows(url, f"select jaar, kwartaal, aantal, onderdrukt from {REPORTING}"
                        " where niveau = 'regio' and uitsplitsing = 'totaal'")
    assert region
    assert sum(per_quarter[(r["jaar"], r["kwartaal"])]["onbekend"] for r in region) > 0
    for r in region:
        assert not r["onderdrukt"]
        assert r["aantal"] == per_quarter[(r["jaar"], r["kwartaal"])]["alle"]
    # The districts (true counts) miss exactly the registrations without a gemeente.
    districts = {(r["jaar"], r["kwartaal"]): r["som"] for r in _rows(url, """
        select jaar, kwartaal, sum(aantal) as som from intermediate.int_politie__tellingen_kwartaal
        where niveau = 'district' and uitsplitsing = 'totaal' group by 1, 2""")}
    for key, som in districts.items():
        assert som == per_quarter[key]["alle"] - per_quarter[key]["onbekend"]


def test_only_complete_quarters_are_reported(dbt_built: Build) -> None:
    url = dbt_built.url
    months = defaultdict(set)
    for row in _rows(url, "select period from audit.deliveries where feed = %s and is_current", (FEED,)):
        year, month = map(int, row["period"].split("-"))
        months[(year, (month - 1) // 3 + 1)].add(month)
    complete = {q for q, m in months.items() if len(m) == 3}
    reported = {(r["jaar"], r["kwartaal"]) for r in _rows(url, f"select distinct jaar, kwartaal from {REPORTING}")}
    assert reported == complete
    assert set(months) - complete, "the data set must end with an incomplete quarter"


# -- disclosure control ------------------------------------------------------------------------------
def test_no_count_from_1_to_4_in_any_reporting_relation(dbt_built: Build) -> None:
    url = dbt_built.url
    columns = _rows(url, """
        select table_name, column_name from information_schema.columns
        where table_schema = 'reporting' and data_type in ('integer', 'bigint', 'smallint', 'numeric')
          and column_name like 'aantal%%'""")
    assert (REPORTING.split(".")[1], "aantal") in {(c["table_name"], c["column_name"]) for c in columns}
    for c in columns:
        small = _scalar(url, f'select count(*) from reporting."{c["table_name"]}"'
                             f' where "{c["column_name"]}" between 1 and 4')
        assert small == 0, f"{c['table_name']}.{c['column_name']} shows {small} counts of 1-4"
    # ... while the true counts do have them, so the check above had something to catch.
    true_small = _scalar(url, "select count(*) from intermediate.int_politie__tellingen_kwartaal"
                              " where aantal between 1 and 4")
    shown_lt5 = _scalar(url, f"select count(*) from {REPORTING} where aantal_weergave = '<5'")
    assert true_small > 0
    assert shown_lt5 == true_small


def test_suppressed_cells_show_no_number_anywhere(dbt_built: Build) -> None:
    rows = _rows(dbt_built.url, f"select * from {REPORTING} where onderdrukt")
    assert rows
    for r in rows:
        assert r["aantal"] is None and r["per_10000_inwoners"] is None and r["verandering_pct"] is None
        assert r["aantal_weergave"] in ("<5", "x")


def _parent_value(uitsplitsing: str, waarde: str) -> tuple[str, str] | None:
    if uitsplitsing == "totaal":
        return None
    if uitsplitsing == "modus":
        return ("categorie", "cybercrime" if waarde in CYBERCRIME_MODI else "gedigitaliseerde criminaliteit")
    return ("totaal", "totaal")


def _area(r: dict) -> str:
    return "regio" if r["niveau"] == "regio" else f"{r['niveau']}:{r['gebied_code']}"


def _parent_area(r: dict) -> str | None:
    return {"gemeente": f"basisteam:{r['basisteam_code']}", "basisteam": f"district:{r['district']}",
            "district": "regio"}.get(r["niveau"])


def open_equations(rows: list[dict]) -> list[tuple]:
    """Equations 'children add up to their parent' of the published rows with exactly one hidden
    member (a hidden parent whose children all show 0 excepted: it counts what no child counts)."""
    cells = {(_area(r), r["jaar"], r["kwartaal"], r["uitsplitsing"], r["waarde"]): r for r in rows}
    equations: dict[tuple, list[dict]] = defaultdict(list)
    for (area, year, quarter, uitsplitsing, waarde), r in cells.items():
        parent_area = _parent_area(r)
        if parent_area:
            equations[(parent_area, year, quarter, uitsplitsing, waarde, "gebied")].append(r)
        parent_value = _parent_value(uitsplitsing, waarde)
        if parent_value:
            equations[(area, year, quarter, *parent_value, uitsplitsing)].append(r)
    found = []
    for key, children in equations.items():
        parent = cells.get(key[:5])
        if parent is None:
            continue
        hidden = sum(c["onderdrukt"] for c in children) + parent["onderdrukt"]
        shown_sum = sum(c["aantal"] or 0 for c in children if not c["onderdrukt"])
        if hidden == 1 and not (parent["onderdrukt"] and shown_sum == 0):
            found.append(key)
    return found


def test_no_hidden_cell_can_be_recovered_by_subtraction(dbt_built: Build) -> None:
    rows = _rows(dbt_built.url, f"select * from {REPORTING}")
    assert open_equations(rows) == []
    secondary = [r for r in rows if r["aantal_weergave"] == "x"]
    assert secondary, "the data set must need secondary suppression"
    assert any(r["niveau"] == "gemeente" for r in secondary)
    # The check itself can fail: revealing one secondary cell re-opens an equation.
    revealed = dict(secondary[0], onderdrukt=False)
    tampered = [revealed if r is secondary[0] else r for r in rows]
    assert open_equations(tampered)


def test_dbt_recoverability_test_detects_a_revealed_cell(dbt_built: Build) -> None:
    relation = next(r["relation_name"] for r in dbt_built.results_of("model")
                    if r["unique_id"].endswith(".lokaal_beeld_kwartaal"))
    # Several reporting models carry the test: the one on lokaal_beeld_kwartaal's counts.
    compiled = next(r["compiled_code"] for r in dbt_built.results_of("test")
                    if r["unique_id"].split(".")[2] == "no_recoverable_cells_lokaal_beeld_kwartaal_")
    assert relation in compiled
    with psycopg.connect(dbt_built.url) as conn:
        assert conn.execute(f"select count(*) from ({compiled}) t").fetchone()[0] == 0
        conn.execute(f"create temporary table getest as select * from {REPORTING}")
        conn.execute("""update getest set onderdrukt = false
            where ctid = (select ctid from getest where aantal_weergave = 'x' limit 1)""")
        assert conn.execute(f"select count(*) from ({compiled.replace(relation, 'getest')}) t").fetchone()[0] > 0


def test_year_on_year_uses_the_published_cells(dbt_built: Build) -> None:
    rows = _rows(dbt_built.url, f"select * from {REPORTING}")
    by_key = {(r["niveau"], r["gebied_code"], r["uitsplitsing"], r["waarde"], r["jaar"], r["kwartaal"]): r
              for r in rows}
    compared = 0
    for (niveau, code, uitsplitsing, waarde, year, quarter), r in by_key.items():
        earlier = by_key.get((niveau, code, uitsplitsing, waarde, year - 1, quarter))
        assert r["aantal_vorig_jaar"] == (earlier["aantal"] if earlier else None)
        now, before = r["aantal"], r["aantal_vorig_jaar"]
        if now and before:
            expected = (Decimal(100) * (now - before) / before).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            assert r["verandering_pct"] == expected
            compared += 1
        else:
            assert r["verandering_pct"] is None
        if r["aantal"] is not None and r["inwoners"]:
            rate = (Decimal(r["aantal"]) * 10000 / r["inwoners"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            assert r["per_10000_inwoners"] == rate
    assert compared > 100


def test_disclosure_control_fails_closed(dbt_built: Build) -> None:
    """Too few rounds to reach a safe pattern: the build stops and the published table stays."""
    url = dbt_built.url
    checksum = f"select md5(string_agg(t::text, '|' order by t::text)) from {REPORTING} t"
    before = _scalar(url, checksum)
    result = dbt_invoke(url, ["run", "--select", "lokaal_beeld_kwartaal", "--vars", "{disclosure_max_passes: 1}"])
    try:
        assert not result.success
        assert "not stable after 1 rounds" in result.result.results[0].message
        assert _scalar(url, checksum) == before
    finally:
        if result.success:
            dbt_invoke(url, ["run", "--select", "lokaal_beeld_kwartaal"])


# -- access ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["reporter", "reporter_regio"])
def test_reporters_read_reporting_only(dbt_built: Build, role: str) -> None:
    with connect(dbt_built.url, role=role) as conn:
        assert conn.execute(f"select count(*) from {REPORTING}").fetchone()[0] > 0
    for relation in ("marts.fct_registraties", "marts.dim_gemeente", "raw.politie_registraties",
                     "intermediate.int_politie__tellingen_kwartaal", "staging.stg_politie__registraties"):
        with connect(dbt_built.url, role=role) as conn, pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f"select 1 from {relation} limit 1")


def test_reader_reads_marts_and_reporting_but_not_raw(dbt_built: Build) -> None:
    with connect(dbt_built.url, role="reader") as conn:
        assert conn.execute("select count(*) from marts.fct_registraties").fetchone()[0] > 0
        assert conn.execute("select count(*) from marts.dim_gemeente").fetchone()[0] == 38
        assert conn.execute(f"select count(*) from {REPORTING}").fetchone()[0] > 0
    for relation in ("raw.politie_registraties", "intermediate.int_politie__tellingen_kwartaal"):
        with connect(dbt_built.url, role="reader") as conn, pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f"select 1 from {relation} limit 1")


def test_transformer_may_create_temp_tables() -> None:
    """dbt unit tests on Postgres need TEMPORARY on the database for the role dbt runs as.
    Fails until warehouse/migrations grants it (the dbt fixture grants it meanwhile)."""
    url = create_scratch_database("dbttemp")
    try:
        with psycopg.connect(url) as conn:
            assert transformer_may_create_temp_tables(conn), (
                "add to a migration: grant temporary on database <current_database()> to transformer")
    finally:
        drop_database(url)


# -- contracts, documentation, artefacts -------------------------------------------------------------
def test_reporting_relation_has_the_agreed_columns(dbt_built: Build) -> None:
    columns = _rows(dbt_built.url, """
        select column_name, case when data_type = 'numeric'
               then format('numeric(%%s,%%s)', numeric_precision, numeric_scale) else data_type end as type
        from information_schema.columns
        where table_schema = 'reporting' and table_name = 'lokaal_beeld_kwartaal' order by ordinal_position""")
    assert [(c["column_name"], c["type"]) for c in columns] == REPORTING_COLUMNS


def test_manifest_documents_contracts_and_tests_every_reporting_count(dbt_built: Build) -> None:
    manifest = json.loads(dbt_parse(dbt_built.url).read_text(encoding="utf-8"))
    models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    db_columns = defaultdict(set)
    for r in _rows(dbt_built.url, """select table_schema, table_name, column_name from information_schema.columns
                                    where table_schema in ('staging', 'intermediate', 'marts', 'reporting')"""):
        db_columns[(r["table_schema"], r["table_name"])].add(r["column_name"])
    for uid, node in models.items():
        assert node["description"].strip(), f"{uid} has no description"
        documented = {name for name, c in node["columns"].items() if c["description"].strip()}
        assert db_columns[(node["schema"], node["name"])] == documented, uid
        if node["schema"] in ("marts", "reporting"):
            assert node["config"]["contract"]["enforced"], uid
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    for uid, node in models.items():
        if node["schema"] != "reporting":
            continue
        attached = {(t["test_metadata"]["name"], t.get("column_name")) for t in tests
                    if t.get("test_metadata") and uid in t["depends_on"]["nodes"]}
        disclosure = node["config"].get("meta", {}).get("disclosure") or node.get("meta", {}).get("disclosure")
        if disclosure == "suppress_cells_linked_to_lokaal_beeld":
            # Yearly wide relation suppressed together with the quarters it sums; its recovery
            # test solves both relations' published sums at once (test_fit_darknumber_catalogue).
            assert ("no_small_counts", None) in attached or any(n == "no_small_counts" for n, _ in attached), uid
        elif "uitsplitsing" in node["columns"] or "niveau" in node["columns"]:
            assert ("no_recoverable_cells", None) in attached, uid
        else:
            # Relations without cells that add up (one programme figure per indicator and year)
            # must say so explicitly; anything else must carry the recovery test.
            assert disclosure in ("programme_level_indicators", "no_person_counts"), uid
        for column in node["columns"]:
            if column.startswith("aantal") and node["columns"][column]["data_type"] == "integer":
                assert ("no_small_counts", column) in attached, f"{uid}.{column}"
    exposures = manifest["exposures"]
    assert {e["label"] for e in exposures.values()} >= {"Lokaal informatiebeeld online criminaliteit"}
    # Every dashboard and document reads reporting only (one dashboard per audience need, issue 10).
    for exposure in exposures.values():
        nodes = exposure["depends_on"]["nodes"]
        assert nodes and all(n in models and models[n]["schema"] == "reporting" for n in nodes), exposure["name"]
    assert any("model.infopositie.lokaal_beeld_kwartaal" in e["depends_on"]["nodes"] for e in exposures.values())
    assert manifest["unit_tests"]


def test_source_freshness_follows_the_contract(dbt_built: Build) -> None:
    contract = load_contract(FEED)
    result = dbt_invoke(dbt_built.url, ["source", "freshness", "--select", "source:politie.registraties"])
    # The project's on-run-end hook (the build log) is a result too; the source is the one to read.
    (freshness,) = [r for r in result.result.results if r.node.unique_id.startswith("source.")]
    newest: date = _scalar(dbt_built.url, "select max(registratiedatum) from raw.politie_registraties")
    assert freshness.max_loaded_at.date() == newest
    age_days = (datetime.now(UTC) - freshness.max_loaded_at.replace(tzinfo=UTC)).total_seconds() / 86400
    expected = ("error" if age_days > contract.freshness.error_after_days
                else "warn" if age_days > contract.freshness.warn_after_days else "pass")
    assert str(freshness.status) == expected


def test_build_command_generates_the_docs_after_a_successful_build(
        dbt_built: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from infopositie.cli import app

    monkeypatch.setenv("WAREHOUSE_URL", dbt_built.url)
    CATALOG.unlink(missing_ok=True)
    result = CliRunner().invoke(app, ["build", "--select", "dim_gemeente"])
    assert result.exit_code == 0, result.output
    assert "dbt build succeeded" in result.output and "dbt elapsed" in result.output
    assert f"dbt docs: open {DOCS_INDEX}" in result.output
    # The catalog describes the warehouse as built: every reporting relation with its columns.
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    reporting = {k: n for k, n in catalog["nodes"].items() if n["metadata"]["schema"] == "reporting"}
    assert "model.infopositie.lokaal_beeld_kwartaal" in reporting
    assert "schade_eur" in reporting["model.infopositie.schade_kwartaal"]["columns"]
    assert DOCS_INDEX.exists()
    # After a build on top of a complete one (rows change, relations do not), the same code on the
    # same warehouse keeps the site it has.
    written = CATALOG.stat().st_mtime_ns
    assert dbt_docs_generate(dbt_built.url, unless_unchanged=True) == DOCS_INDEX
    assert CATALOG.stat().st_mtime_ns == written
