"""The staging models of the six partner feeds, built for real on synthetic deliveries of every feed.

A year of synthetic deliveries (2025) goes through the real ingest pipeline, followed by a second
round of corrections the partners send later: a gemeente re-sends an activity file with updated
reach (and the gemeente column left empty), CBS revises two Veiligheidsmonitor figures (one is
withdrawn, '.'), CBS sends the definitive population after the provisional one, and a bank
corrects a month. Then the whole dbt project is built. Expectations come from the raw layer and
from the correction files themselves, except the year plan's look-back on 2025
(docs/sources/domain.md), which the synthetic generator reproduces and the staging must keep.
"""
from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from infopositie.dbt import TARGET_DIR, dbt_build, dbt_invoke
from ingest.contracts import load_contract
from ingest.landing import LocalLandingZone
from ingest.pipeline import ingest_landing
from synthetic import build_deliveries, generate
from tests.conftest import create_scratch_database, drop_database
from tests.dbt.conftest import TEMP_GRANT, transformer_may_create_temp_tables

pytestmark = pytest.mark.slow

START, END, SEED = "2025-01", "2025-12", 5
STAGING_MODELS = ("stg_om__instroom", "stg_riec__casussen", "stg_riec__casus_gemeenten",
                  "stg_gemeente__activiteiten", "stg_bank__fraudemeldingen", "stg_cbs__veiligheidsmonitor",
                  "stg_cbs__bevolking")
# Source name, table name and feed of each new feed (models/staging/<source>/_<source>__sources.yml).
SOURCES = {("om", "instroom"): "om_instroom", ("riec", "casussen"): "riec_casussen",
           ("gemeente", "activiteiten"): "activiteiten", ("bank", "fraudemeldingen"): "fraudemeldingen",
           ("cbs", "veiligheidsmonitor"): "veiligheidsmonitor", ("cbs", "bevolking"): "bevolking"}
# The year plan's campaigns: the activity correction leaves their reach alone, so that the
# look-back figures stay those of the plan.
KPI_CAMPAIGNS = {"#EchtNietVandaag", "Echt-Nep"}
REACH_CORRECTION = 5


@dataclass(frozen=True)
class Corrections:
    activity_folder: str
    activity_key: str
    # (datum, titel) -> the corrected bereik (None when the row has no reach)
    activity_reach: dict[tuple[date, str], int | None]
    vm_revised: tuple[int, str, str, Decimal]          # jaar, regio, indicator, new waarde
    vm_withdrawn: tuple[int, str, str, Decimal]        # jaar, regio, indicator, the earlier waarde
    bevolking: dict[str, tuple[int, int]]              # gemeente -> definitive (inwoners, 15plus)
    bank_key: str
    bank_record: dict[str, Any]                        # the corrected first record


@dataclass(frozen=True)
class Built:
    url: str
    returncode: int
    seconds: float
    run_results: dict[str, Any]
    corrections: Corrections

    def results_for(self, model: str) -> list[dict[str, Any]]:
        """Run results of the model itself, its data tests and its unit tests."""
        return [r for r in self.run_results["results"]
                if r["unique_id"] == f"model.infopositie.{model}"
                or (r["unique_id"].startswith(("test.", "unit_test.")) and model in r["unique_id"])]


# -- building the corrections from the files of the first round -----------------------------------------
def _csv(data: bytes) -> tuple[str, list[str], list[list[str]]]:
    text = data.decode("utf-8-sig")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return delimiter, header, rows


def _write_csv(delimiter: str, header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def _parse_date(text: str) -> date:
    """Gemeenten write 2025-03-04 or 04-03-2025."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d-%m-%Y").date()


def _activity_correction(files: dict[str, bytes]) -> tuple[str, bytes, str, dict[tuple[date, str], int | None]]:
    """A gemeente re-sends one of its CSV files: more reach where it had one (outside the year plan's
    campaigns) and the gemeente column left empty, which means the folder's gemeente."""
    for key in sorted(files):
        if not (key.startswith("gemeenten/") and key.endswith(".csv")):
            continue
        delimiter, header, rows = _csv(files[key])
        at = {name: header.index(name) for name in ("datum", "gemeente", "titel", "bereik", "campagne")}
        changeable = [r for r in rows if r[at["bereik"]].strip() and r[at["campagne"]] not in KPI_CAMPAIGNS]
        if len(changeable) < 3:
            continue
        reach: dict[tuple[date, str], int | None] = {}
        for row in rows:
            if row[at["bereik"]].strip() and row[at["campagne"]] not in KPI_CAMPAIGNS:
                row[at["bereik"]] = str(int(row[at["bereik"]]) + REACH_CORRECTION)
            row[at["gemeente"]] = ""
            reach[(_parse_date(row[at["datum"]]), row[at["titel"]])] = (
                int(row[at["bereik"]]) if row[at["bereik"]].strip() else None)
        return (key.removesuffix(".csv") + "_correctie.csv", _write_csv(delimiter, header, rows), key.split("/")[1],
                reach)
    raise AssertionError("no gemeente CSV file to correct in the synthetic deliveries")


def _vm_revision(files: dict[str, bytes]) -> tuple[str, bytes, tuple, tuple]:
    """CBS revises the region's online victimisation and withdraws the national aangiftebereidheid."""
    (key,) = [k for k in files if k.startswith("cbs/veiligheidsmonitor/")]
    delimiter, header, rows = _csv(files[key])
    at = {name: header.index(name) for name in header}
    revised = next(r for r in rows if r[at["regio"]] == "RE09" and r[at["indicator"]] == "slachtofferschap_online")
    withdrawn = next(r for r in rows if r[at["regio"]] == "NL01" and r[at["indicator"]] == "aangiftebereidheid_online"
                     and r[at["waarde"]] != ".")
    earlier = Decimal(withdrawn[at["waarde"]])
    new_value = Decimal(revised[at["waarde"]]) + Decimal("0.3")
    revised = list(revised)
    revised[at["waarde"]] = str(new_value)
    withdrawn = list(withdrawn)
    for column in ("waarde", "ondergrens", "bovengrens"):
        withdrawn[at[column]] = "."
    data = _write_csv(delimiter, header, [revised, withdrawn])
    return (key.removesuffix(".csv") + "_herzien.csv", data,
            (int(revised[at["jaar"]]), "RE09", "slachtofferschap_online", new_value),
            (int(withdrawn[at["jaar"]]), "NL01", "aangiftebereidheid_online", earlier))


def _definitive_population(files: dict[str, bytes]) -> tuple[str, bytes, dict[str, tuple[int, int]]]:
    (key,) = [k for k in files if k.startswith("cbs/bevolking/")]
    delimiter, header, rows = _csv(files[key])
    at = {name: header.index(name) for name in header}
    definitive: dict[str, tuple[int, int]] = {}
    for i, row in enumerate(rows):
        inwoners = int(row[at["inwoners"]]) + i  # the count itself moves a little too
        row[at["inwoners"]] = str(inwoners)
        row[at["inwoners_15plus"]] = str(inwoners * 83 // 100)
        definitive[row[at["gemeente"]]] = (inwoners, inwoners * 83 // 100)
    return key.removesuffix(".csv") + "_definitief.csv", _write_csv(delimiter, header, rows), definitive


def _bank_correction(files: dict[str, bytes]) -> tuple[str, bytes, dict[str, Any]]:
    key = "partners/bank-a/fraudemeldingen/fraudemeldingen_202503.json"
    document = json.loads(files[key])
    record = document["records"][0]
    record["meldingen"] += 7
    record["schade_eur"] = round(record["schade_eur"] + 100.25, 2)
    return key, (json.dumps(document, indent=2) + "\n").encode("utf-8"), dict(record)


def _deliver_corrections(zone: LocalLandingZone) -> Corrections:
    (first_round,) = build_deliveries(start=START, end=END, seed=SEED)
    files = dict(first_round)
    activity_key, activity_data, folder, reach = _activity_correction(files)
    vm_key, vm_data, revised, withdrawn = _vm_revision(files)
    population_key, population_data, definitive = _definitive_population(files)
    bank_key, bank_data, bank_record = _bank_correction(files)
    for key, data in ((activity_key, activity_data), (vm_key, vm_data), (population_key, population_data),
                      (bank_key, bank_data)):
        zone.put(key, data)
    return Corrections(folder, activity_key, reach, revised, withdrawn, definitive, bank_key, bank_record)


@pytest.fixture(scope="module")
def feeds_built(tmp_path_factory: pytest.TempPathFactory, pseudonym_key: bytes) -> Iterator[Built]:
    url = create_scratch_database("feeds")
    try:
        zone = LocalLandingZone(Path(tmp_path_factory.mktemp("feeds-landing")))
        assert generate(zone, start=START, end=END, seed=SEED)
        first = ingest_landing(zone, url)
        assert first and all(r.status == "loaded" for r in first), [r.as_dict() for r in first if r.status != "loaded"]
        assert {r.feed for r in first} == set(SOURCES.values()) | {"politie_registraties"}
        corrections = _deliver_corrections(zone)
        later = ingest_landing(zone, url)
        assert len(later) == 4 and all(r.status == "loaded" and not r.rows_rejected for r in later), \
            [r.as_dict() for r in later]
        with psycopg.connect(url, autocommit=True) as conn:
            if not transformer_may_create_temp_tables(conn):
                conn.execute(TEMP_GRANT)  # as tests/dbt/conftest.py, until a migration grants it
        started = time.monotonic()
        returncode = dbt_build(url)
        seconds = time.monotonic() - started
        run_results = json.loads((TARGET_DIR / "run_results.json").read_text(encoding="utf-8"))
        yield Built(url, returncode, seconds, run_results, corrections)
    finally:
        if not os.environ.get("KEEP_TEST_DATABASE"):
            drop_database(url)


def _rows(url: str, query: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def _scalar(url: str, query: str, params: tuple = ()) -> Any:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


def _current_raw(feed: str) -> str:
    return (f"select r.*, d.partner, d.period from raw.{feed} r join audit.deliveries d using (delivery_id)"
            f" where d.is_current and d.feed = '{feed}'")


# -- the build ---------------------------------------------------------------------------------------------
def test_build_succeeds_with_every_staging_test(feeds_built: Built) -> None:
    results = feeds_built.run_results["results"]
    failed = [(r["unique_id"], r["status"], r.get("message")) for r in results
              if r["status"] not in ("success", "pass", "no-op")]
    assert feeds_built.returncode == 0, failed
    assert failed == []
    counts = {}
    for model in STAGING_MODELS:
        ours = feeds_built.results_for(model)
        kinds = [r["unique_id"].split(".")[0] for r in ours]
        assert kinds.count("model") == 1, model
        assert kinds.count("test") >= 3, model
        # Passing, not merely warning: the relationships to the reference are severity warn.
        assert {r["status"] for r in ours} <= {"success", "pass"}, model
        counts[model] = (kinds.count("test"), kinds.count("unit_test"))
    unit_tests = sum(u for _, u in counts.values())
    assert unit_tests >= 8
    print(f"dbt build (whole project): {feeds_built.seconds:.1f}s wall, "
          f"{feeds_built.run_results['elapsed_time']:.1f}s dbt elapsed, {len(results)} nodes; staging of the "
          f"new feeds: {sum(t for t, _ in counts.values())} data tests, {unit_tests} unit tests")


def test_every_staging_model_is_a_transformer_view(feeds_built: Built) -> None:
    rows = _rows(feeds_built.url, """
        select c.relname, c.relkind, pg_get_userbyid(c.relowner) as owner
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'staging' and c.relname = any(%s)""", (list(STAGING_MODELS),))
    assert {(r["relname"], r["relkind"], r["owner"]) for r in rows} == {(m, "v", "transformer") for m in STAGING_MODELS}


# -- row counts against the raw layer --------------------------------------------------------------------
@pytest.mark.parametrize("model, feed", [("stg_om__instroom", "om_instroom"), ("stg_riec__casussen", "riec_casussen"),
                                         ("stg_bank__fraudemeldingen", "fraudemeldingen")])
def test_one_staging_row_per_current_raw_row(feeds_built: Built, model: str, feed: str) -> None:
    url = feeds_built.url
    current = _scalar(url, f"select count(*) from ({_current_raw(feed)}) t")
    everything = _scalar(url, f"select count(*) from raw.{feed}")
    assert current > 0
    assert _scalar(url, f"select count(*) from staging.{model}") == current
    if feed == "fraudemeldingen":  # the corrected month left a superseded delivery behind
        assert everything > current


@pytest.mark.parametrize("model, feed, key", [
    ("stg_gemeente__activiteiten", "activiteiten", "partner, datum, titel"),
    ("stg_cbs__veiligheidsmonitor", "veiligheidsmonitor", "jaar, regio, indicator"),
    ("stg_cbs__bevolking", "bevolking", "jaar, gemeente"),
])
def test_one_staging_row_per_record_however_often_delivered(feeds_built: Built, model: str, feed: str,
                                                            key: str) -> None:
    url = feeds_built.url
    raw_rows = _scalar(url, f"select count(*) from ({_current_raw(feed)}) t")
    records = _scalar(url, f"select count(*) from (select distinct {key} from ({_current_raw(feed)}) t) k")
    assert _scalar(url, f"select count(*) from staging.{model}") == records
    assert raw_rows > records, "each of these feeds got a correction in the second round"


def test_riec_gemeenten_unnest_every_listed_gemeente(feeds_built: Built) -> None:
    url = feeds_built.url
    listed = _scalar(url, f"select coalesce(sum(cardinality(gemeenten)), 0) from ({_current_raw('riec_casussen')}) t")
    assert listed > 0
    assert _scalar(url, "select count(*) from staging.stg_riec__casus_gemeenten") == listed


# -- the corrections -------------------------------------------------------------------------------------
def test_corrected_activity_counts_once_with_the_latest_values(feeds_built: Built) -> None:
    c = feeds_built.corrections
    url = feeds_built.url
    correction_id = _scalar(url, "select delivery_id from audit.deliveries where object_key = %s", (c.activity_key,))
    rows = _rows(url, "select datum, titel, bereik, gemeentecode, delivery_id, aantal_leveringen, regionaal"
                      " from staging.stg_gemeente__activiteiten where leverancier = %s and delivery_id = %s",
                 (c.activity_folder, correction_id))
    assert {(r["datum"], r["titel"]) for r in rows} == set(c.activity_reach)
    for r in rows:
        assert r["bereik"] == c.activity_reach[(r["datum"], r["titel"])]
        assert r["aantal_leveringen"] == 2
        # The corrected file left the gemeente column empty: the folder's gemeente applies.
        assert r["gemeentecode"] == c.activity_folder and r["regionaal"] is False
    raw_versions = _scalar(url, "select count(*) from raw.activiteiten r join audit.deliveries d using (delivery_id)"
                                " where d.partner = %s and (r.datum, r.titel) in"
                                " (select datum, titel from raw.activiteiten"
                                " where delivery_id = %s)", (c.activity_folder, correction_id))
    assert raw_versions == 2 * len(rows)
    raw_empty = _scalar(url, "select count(*) from raw.activiteiten where delivery_id = %s and gemeente is null",
                        (correction_id,))
    assert raw_empty == len(rows)


def test_cbs_revision_replaces_the_value_and_a_withdrawn_value_stays_unknown(feeds_built: Built) -> None:
    c = feeds_built.corrections
    url = feeds_built.url
    query = ("select waarde, ondergrens, bovengrens, aantal_leveringen from staging.stg_cbs__veiligheidsmonitor"
             " where jaar = %s and regio = %s and indicator = %s")
    jaar, regio, indicator, value = c.vm_revised
    (revised,) = _rows(url, query, (jaar, regio, indicator))
    assert (revised["waarde"], revised["aantal_leveringen"]) == (value, 2)
    jaar, regio, indicator, earlier = c.vm_withdrawn
    (withdrawn,) = _rows(url, query, (jaar, regio, indicator))
    assert earlier is not None
    assert (withdrawn["waarde"], withdrawn["ondergrens"], withdrawn["bovengrens"]) == (None, None, None)
    # Figures the revision does not mention keep their first (and only) delivery.
    untouched = _rows(url, """
        select s.waarde, r.waarde as geleverd from staging.stg_cbs__veiligheidsmonitor s
        join raw.veiligheidsmonitor r using (delivery_id, jaar, regio, indicator)
        where s.aantal_leveringen = 1""")
    assert untouched
    assert all((u["waarde"], u["geleverd"]) == (None, None) if u["geleverd"] is None
               else Decimal(str(u["geleverd"])) == u["waarde"] for u in untouched)


def test_definitive_population_replaces_the_provisional(feeds_built: Built) -> None:
    c = feeds_built.corrections
    rows = _rows(feeds_built.url, "select gemeentecode, inwoners, inwoners_15plus, aantal_leveringen"
                                  " from staging.stg_cbs__bevolking where jaar = 2025")
    assert {r["gemeentecode"]: (r["inwoners"], r["inwoners_15plus"]) for r in rows} == c.bevolking
    assert {r["aantal_leveringen"] for r in rows} == {2}
    assert _scalar(feeds_built.url, "select count(*) from raw.bevolking where inwoners_15plus is null") == len(rows)


def test_bank_month_correction_and_partner_from_the_delivery(feeds_built: Built) -> None:
    c = feeds_built.corrections
    url = feeds_built.url
    rows = _rows(url, "select partner, meldingen, gedupeerden, schade_eur, delivery_id"
                      " from staging.stg_bank__fraudemeldingen"
                      " where partner = 'bank-a' and periode = '2025-03' and gemeentecode = %s and fraudetype = %s",
                 (c.bank_record["gemeente"], c.bank_record["fraudetype"]))
    assert len(rows) == 1
    (row,) = rows
    assert (row["meldingen"], row["gedupeerden"]) == (c.bank_record["meldingen"], c.bank_record["gedupeerden"])
    assert row["schade_eur"] == Decimal(str(c.bank_record["schade_eur"])).quantize(Decimal("0.01"))
    assert row["delivery_id"] == _scalar(url, "select delivery_id from audit.deliveries where object_key = %s"
                                              " and is_current", (c.bank_key,))
    partners = {r["partner"] for r in _rows(url, "select distinct partner from staging.stg_bank__fraudemeldingen")}
    folders = {r["partner"] for r in _rows(url, "select distinct partner from audit.deliveries"
                                                " where feed = 'fraudemeldingen' and status = 'loaded'")}
    assert partners == folders and len(partners) == 3


# -- the feeds' own logic -----------------------------------------------------------------------------------
def test_riec_one_row_per_case_per_monthly_snapshot(feeds_built: Built) -> None:
    url = feeds_built.url
    per_snapshot = _rows(url, "select peildatum, count(*) as casussen from staging.stg_riec__casussen"
                              " group by 1 order by 1")
    raw = _rows(url, "select d.period::date as peildatum, count(*) as casussen from raw.riec_casussen r"
                     " join audit.deliveries d using (delivery_id) where d.is_current group by 1 order by 1")
    assert per_snapshot == raw
    month_ends = [(date(2025, m, 1) + timedelta(days=32)).replace(day=1) - timedelta(days=1) for m in range(1, 13)]
    assert [r["peildatum"] for r in per_snapshot] == month_ends
    # A case missing from a later snapshot (withdrawn) keeps its earlier rows: history is the sequence.
    withdrawn = _scalar(url, """
        select count(distinct casus_pseudoniem) from staging.stg_riec__casussen s
        where peildatum < (select max(peildatum) from staging.stg_riec__casussen)
          and not exists (select 1 from staging.stg_riec__casussen l
                          where l.casus_pseudoniem = s.casus_pseudoniem and l.peildatum > s.peildatum)
          and fase <> 'afgerond'""")
    assert withdrawn > 0


def test_activity_gemeente_and_regional_flag(feeds_built: Built) -> None:
    url = feeds_built.url
    regional = _rows(url, "select leverancier, gemeentecode from staging.stg_gemeente__activiteiten where regionaal")
    raw_regional = _scalar(url, f"select count(*) from ({_current_raw('activiteiten')}) t"
                                " where partner = 'regio' and gemeente is null")
    assert regional and len(regional) == raw_regional
    assert {(r["leverancier"], r["gemeentecode"]) for r in regional} == {("regio", None)}
    mismatched = _scalar(url, "select count(*) from staging.stg_gemeente__activiteiten"
                              " where leverancier like 'GM%%' and gemeentecode is distinct from leverancier")
    assert mismatched == 0


def test_titles_are_kept_as_text(feeds_built: Built) -> None:
    url = feeds_built.url
    staged = {r["titel"] for r in _rows(url, "select titel from staging.stg_gemeente__activiteiten"
                                             " where left(titel, 1) in ('=', '+', '-', '@')")}
    raw = {r["titel"] for r in _rows(url, "select titel from raw.activiteiten"
                                          " where left(titel, 1) in ('=', '+', '-', '@')")}
    assert staged == raw
    assert {t[0] for t in staged} == {"=", "+", "-", "@"}


def test_year_plan_look_back_on_2025(feeds_built: Built) -> None:
    """Annex 2 of the year plan (docs/sources/domain.md): 15 knowledge sessions of the regional
    programme, 105 activities on the #EchtNietVandaag action day of 10 September 2025, and the
    Echt-Nep campaign reaching 787 seniors."""
    url = feeds_built.url
    kennis = _scalar(url, "select count(*) from staging.stg_gemeente__activiteiten"
                          " where jaar = 2025 and leverancier = 'regio' and activiteittype = 'kennisbijeenkomst'")
    actiedag = _rows(url, "select datum, count(*) as n from staging.stg_gemeente__activiteiten"
                          " where jaar = 2025 and activiteittype = 'actiedag' and campagne = '#EchtNietVandaag'"
                          " group by datum")
    echt_nep = _scalar(url, "select sum(bereik) from staging.stg_gemeente__activiteiten"
                            " where jaar = 2025 and campagne = 'Echt-Nep' and doelgroep = 'senioren'")
    assert kennis == 15
    assert [(r["datum"], r["n"]) for r in actiedag] == [(date(2025, 9, 10), 105)]
    assert echt_nep == 787


# -- the dbt tests can fail -------------------------------------------------------------------------------
@pytest.mark.parametrize("model, test_name, tamper", [
    ("stg_gemeente__activiteiten", "unique_combination",
     "insert into getest select * from getest limit 1"),
    ("stg_bank__fraudemeldingen", "accepted_range_stg_bank__fraudemeldingen_gedupeerden",
     "update getest set gedupeerden = meldingen + 1 where ctid = (select ctid from getest limit 1)"),
    ("stg_cbs__veiligheidsmonitor", "expression_is_true",
     "update getest set ondergrens = waarde + 1"
     " where ctid = (select ctid from getest where waarde is not null limit 1)"),
])
def test_staging_tests_detect_a_broken_row(feeds_built: Built, model: str, test_name: str, tamper: str) -> None:
    compiled = [r["compiled_code"] for r in feeds_built.run_results["results"]
                if r["unique_id"].startswith(f"test.infopositie.{test_name}") and model in r["unique_id"]]
    relation = next(r["relation_name"] for r in feeds_built.run_results["results"]
                    if r["unique_id"] == f"model.infopositie.{model}")
    assert compiled and all(relation in sql for sql in compiled)
    with psycopg.connect(feeds_built.url) as conn:
        assert all(conn.execute(f"select count(*) from ({sql}) t").fetchone()[0] == 0 for sql in compiled)
        conn.execute(f"create temporary table getest as select * from {relation}")
        conn.execute(tamper)
        assert any(conn.execute(f"select count(*) from ({sql.replace(relation, 'getest')}) t").fetchone()[0] > 0
                   for sql in compiled)


# -- freshness -------------------------------------------------------------------------------------------
def _newest(url: str, feed: str) -> datetime:
    """What the feed's freshness must be measured on, computed here independently of the render."""
    contract = load_contract(feed)
    in_period = next((c.stored_name for c in contract.stored_columns if c.in_period), None)
    if in_period:
        return datetime.combine(_scalar(url, f"select max({in_period}) from raw.{feed}"), datetime.min.time())
    deliveries = _rows(url, "select partner, period, finished_at from audit.deliveries where feed = %s and is_current",
                       (feed,))
    if contract.period == "none":
        return max(d["finished_at"] for d in deliveries).astimezone(UTC).replace(tzinfo=None)
    newest: dict[str, date] = {}
    for d in deliveries:
        if contract.period == "month":
            year, month = map(int, d["period"].split("-"))
            end = (date(year, month, 1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        else:
            end = date.fromisoformat(d["period"])
        newest[d["partner"]] = max(newest.get(d["partner"], end), end)
    return datetime.combine(min(newest.values()), datetime.min.time())  # the partner furthest behind


@pytest.mark.parametrize("source, table", sorted(SOURCES))
def test_source_freshness_follows_the_contract(feeds_built: Built, source: str, table: str) -> None:
    feed = SOURCES[(source, table)]
    contract = load_contract(feed)
    result = dbt_invoke(feeds_built.url, ["source", "freshness", "--select", f"source:{source}.{table}"])
    # The project's on-run-end hook (the build log) is a result too; the source is the one to read.
    (freshness,) = [r for r in result.result.results if r.node.unique_id.startswith("source.")]
    expected = _newest(feeds_built.url, feed)
    assert abs((freshness.max_loaded_at.replace(tzinfo=None) - expected).total_seconds()) < 1
    age_days = (freshness.snapshotted_at - freshness.max_loaded_at).total_seconds() / 86400
    status = ("error" if age_days > contract.freshness.error_after_days
              else "warn" if age_days > contract.freshness.warn_after_days else "pass")
    assert str(freshness.status) == status
