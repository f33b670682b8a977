"""The intervention fit (reporting.interventie_fit), the dark number (reporting.dark_number), the
marts of the other feeds and the Wpg catalogue (docs/catalogus_wpg20.md), built for real:
synthetic deliveries of every feed -> ingest pipeline -> dbt build, on a scratch warehouse of its
own.

Expectations are recomputed here from the raw layer, the audit trail and the reference data, apart
from the dbt models; the disclosure check re-derives every published equation of both reporting
relations that show registrations per gebied (lokaal_beeld_kwartaal and interventie_fit, and the
sums that tie them together) and solves them as far as a reader could.

The deliveries run to 2026-03: CBS publishes a year's survey the next spring and the definitive
15+ population after the year, so a warehouse in March 2026 is the first with a 2025 dark number.
"""
from __future__ import annotations

import copy
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from infopositie import catalogue
from infopositie.dbt import TARGET_DIR, dbt_build, dbt_parse
from ingest.contracts import all_contracts
from tests.conftest import create_scratch_database, drop_database

pytestmark = pytest.mark.slow

START, END, SEED = "2024-01", "2026-03", 5
MY_MODELS = {"interventie_fit", "dark_number", "fct_om_instroom", "fct_fraudemeldingen", "fct_activiteiten",
             "dim_periode", "int_fit__slachtofferprofiel", "int_fit__bereik", "int_darknumber__slachtofferschatting"}
FIT = "reporting.interventie_fit"
DARK = "reporting.dark_number"
MIN_COUNT = 5
# (doelgroep, column suffix, victim group, the signal's words): docs/sources/domain.md pairs.
PAIRS = [
    ("senioren", "65plus", "65+", "weinig bereik bij senioren terwijl 65+ veel slachtoffer is"),
    ("jongeren", "onder_25", "onder 25", "weinig bereik bij jongeren terwijl onder-25-jarigen veel slachtoffer zijn"),
    ("ondernemers", "ondernemer", "ondernemer",
     "weinig bereik bij ondernemers terwijl ondernemers veel slachtoffer zijn"),
]
VEEL_PCT, FACTOR_WEINIG = Decimal(10), Decimal("0.5")
CYBERCRIME_MODI = {"ransomware", "hacken", "ddos"}
CURRENT = "join audit.deliveries d using (delivery_id) where d.is_current"


def _rows(url: str, query: str | sql.Composable, params: tuple = (), *, role: str | None = None) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        if role:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        return conn.execute(query, params).fetchall()


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


# -- the warehouse ---------------------------------------------------------------------------------
@dataclass
class Warehouse:
    url: str
    run_results: dict[str, Any]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, pseudonym_key: bytes) -> Iterator[Warehouse]:
    from ingest.landing import LocalLandingZone
    from ingest.pipeline import ingest_landing
    from synthetic import generate

    url = create_scratch_database("fit")
    zone = LocalLandingZone(tmp_path_factory.mktemp("fit-store"))
    generate(zone, start=START, end=END, seed=SEED)
    results = ingest_landing(zone, url)
    assert results and all(r.status == "loaded" for r in results), [
        r.as_dict() for r in results if r.status != "loaded"]
    assert dbt_build(url) == 0, "dbt build failed on the synthetic data set"
    run_results = json.loads((TARGET_DIR / "run_results.json").read_text(encoding="utf-8"))
    yield Warehouse(url, run_results)
    if not os.environ.get("KEEP_TEST_DATABASE"):
        drop_database(url)


@pytest.fixture(scope="module")
def reference(warehouse: Warehouse) -> dict[str, dict]:
    """gemeentecode -> its basisteam and district in today's organisation (reference data)."""
    return {r["gemeentecode"]: r for r in _rows(warehouse.url, """
        select gemeentecode, basisteam_code, district from reference.gemeenten
        where geldig_van <= current_date and (geldig_tot is null or geldig_tot > current_date)""")}


@pytest.fixture(scope="module")
def complete_quarters(warehouse: Warehouse) -> dict[int, list[int]]:
    """Year -> its quarters of which all three months have a current politie delivery."""
    months = Counter()
    for r in _rows(warehouse.url, """select distinct period from audit.deliveries
                                     where feed = 'politie_registraties' and is_current"""):
        year, month = map(int, r["period"].split("-"))
        months[(year, (month - 1) // 3 + 1)] += 1
    out: dict[int, list[int]] = defaultdict(list)
    for (year, quarter), n in sorted(months.items()):
        if n == 3:
            out[year].append(quarter)
    return dict(out)


@pytest.fixture(scope="module")
def fit(warehouse: Warehouse) -> dict[tuple[str, str, int], dict]:
    return {(r["niveau"], r["gebied_code"], r["jaar"]): r for r in _rows(warehouse.url, f"select * from {FIT}")}


@pytest.fixture(scope="module")
def registrations(warehouse: Warehouse, reference: dict[str, dict]) -> list[dict]:
    """Current registrations from raw, placed in today's organisation (unknown gemeente: None)."""
    mapping = {r["oude_code"]: r["nieuwe_code"] for r in _rows(
        warehouse.url, "select oude_code, nieuwe_code from reference.gemeentecode_mapping")}
    out = []
    for r in _rows(warehouse.url, f"""
            select r.registratiedatum, r.pleeggemeente, r.slachtoffer_type,
                   coalesce(r.slachtoffer_leeftijdsklasse, 'onbekend') as leeftijd
            from raw.politie_registraties r {CURRENT}"""):
        code = mapping.get(r["pleeggemeente"], r["pleeggemeente"])
        place = reference.get(code)
        out.append({**r, "gemeente": code if place else None,
                    "basisteam": place["basisteam_code"] if place else None,
                    "district": place["district"] if place else None})
    return out


def _areas(row: dict) -> list[tuple[str, str]]:
    """The (niveau, gebied_code) a registration or activity counts for."""
    areas = [("regio", "MN")]
    if row["gemeente"]:
        areas += [("gemeente", row["gemeente"]), ("basisteam", row["basisteam"]), ("district", row["district"])]
    return areas


def _groups(r: dict) -> list[str]:
    return (["totaal"] + (["65+"] if r["leeftijd"] == "65+" else [])
            + (["onder 25"] if r["leeftijd"] in ("0-17", "18-24") else [])
            + (["ondernemer"] if r["slachtoffer_type"] == "ondernemer" else []))


# -- the build -------------------------------------------------------------------------------------
def test_build_runs_my_models_data_tests_and_unit_tests(warehouse: Warehouse) -> None:
    results = warehouse.run_results["results"]
    failed = [(r["unique_id"], r["status"]) for r in results if r["status"] not in ("success", "pass", "no-op")]
    assert failed == []
    # Models, their data tests and unit tests: every such node's id names the model.
    mine = [r for r in results if any(m in r["unique_id"] for m in MY_MODELS)]
    built = {r["unique_id"].split(".")[-1] for r in mine if r["unique_id"].startswith("model.")}
    assert built == MY_MODELS
    unit_tests = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("unit_test.")}
    assert {"ut_interventie_fit_shares_from_published_counts", "ut_interventie_fit_year_hides_single_hidden_quarter",
            "ut_interventie_fit_basisteam_protects_gemeente", "ut_interventie_fit_signal_thresholds",
            "ut_dark_number_rate_and_interval", "ut_int_darknumber_estimate", "ut_int_fit_slachtofferprofiel_groups",
            "ut_int_fit_bereik_per_doelgroep", "ut_dim_periode_whole_years",
            "ut_fct_om_instroom_first_entry_and_gemeente", "ut_fct_fraudemeldingen_merged_gemeenten_add_up",
            "ut_fct_activiteiten_regional_and_gemeente"} <= unit_tests
    seconds = sum(r["execution_time"] for r in mine)
    print(f"dbt: {len(mine)} nodes of these models (models, data and unit tests) took {seconds:.1f}s of"
          f" execution time; whole build {warehouse.run_results['elapsed_time']:.1f}s")


# -- marts -------------------------------------------------------------------------------------------
def test_marts_hold_every_current_row_at_its_grain(warehouse: Warehouse, reference: dict[str, dict]) -> None:
    url = warehouse.url
    cases = _rows(url, f"select count(distinct parketnummer_pseudoniem) as n from raw.om_instroom r {CURRENT}")[0]["n"]
    assert cases > 0
    assert _rows(url, "select count(*) as n from marts.fct_om_instroom")[0]["n"] == cases

    raw = _rows(url, f"""select d.partner, sum(r.meldingen) as meldingen, sum(r.gedupeerden) as gedupeerden,
                                count(*) as rijen
                         from raw.fraudemeldingen r {CURRENT} group by d.partner order by 1""")
    mart = _rows(url, """select partner, sum(meldingen) as meldingen, sum(gedupeerden) as gedupeerden,
                                count(*) as rijen
                         from marts.fct_fraudemeldingen group by partner order by 1""")
    assert len(raw) >= 2 and mart == raw

    activities = _rows(url, f"""select count(*) as n from (select distinct d.partner, r.datum, r.titel
                                from raw.activiteiten r {CURRENT}) a""")[0]["n"]
    assert _rows(url, "select count(*) as n from marts.fct_activiteiten")[0]["n"] == activities

    # Every fact row is placed: a current gemeente with its own basisteam and district, or none.
    for table in ("fct_om_instroom", "fct_fraudemeldingen", "fct_activiteiten"):
        for r in _rows(url, f"select distinct gemeentecode, basisteam_code, district from marts.{table}"):
            if r["gemeentecode"] is None:
                assert r["basisteam_code"] is None and r["district"] is None
            else:
                assert (r["basisteam_code"], r["district"]) == (
                    reference[r["gemeentecode"]]["basisteam_code"], reference[r["gemeentecode"]]["district"])


def test_dim_periode_covers_every_fact_month_in_whole_years(warehouse: Warehouse) -> None:
    months = _rows(warehouse.url,
                   "select maand, jaar, kwartaal, periode_kwartaal from marts.dim_periode order by maand")
    fact_months = {r["maand"] for r in _rows(warehouse.url, """
        select maand from marts.fct_om_instroom union select maand from marts.fct_fraudemeldingen
        union select maand from marts.fct_activiteiten union select registratiemaand from marts.fct_registraties""")}
    assert fact_months <= {m["maand"] for m in months}
    years = sorted({m["jaar"] for m in months})
    assert years == list(range(min(f.year for f in fact_months), max(f.year for f in fact_months) + 1))
    assert len(months) == 12 * len(years)
    for m in months:
        assert m["kwartaal"] == (m["maand"].month - 1) // 3 + 1
        assert m["periode_kwartaal"] == f"{m['jaar']}-Q{m['kwartaal']}"


# -- the dark number -------------------------------------------------------------------------------------
def _latest(rows: list[dict], key: tuple[str, ...]) -> dict[tuple, dict]:
    """The newest delivered row per key (rows ordered by delivery and line): a newer CBS file wins."""
    out: dict[tuple, dict] = {}
    for r in rows:
        out[tuple(r[k] for k in key)] = r
    return out


def test_dark_number_against_raw(warehouse: Warehouse, reference: dict[str, dict],
                                 complete_quarters: dict[int, list[int]]) -> None:
    url = warehouse.url
    survey = _latest(_rows(url, f"""
        select r.jaar, r.waarde, r.ondergrens, r.bovengrens from raw.veiligheidsmonitor r {CURRENT}
          and r.regio = 'RE09' and r.indicator = 'slachtofferschap_online'
        order by r.delivery_id, r.line_number"""), ("jaar",))
    population = _latest(_rows(url, f"""
        select r.jaar, r.gemeente, r.inwoners_15plus from raw.bevolking r {CURRENT}
        order by r.delivery_id, r.line_number"""), ("jaar", "gemeente"))
    registered = Counter(r["registratiedatum"].year for r in _rows(
        url, f"select r.registratiedatum from raw.politie_registraties r {CURRENT}"))
    published = {r["jaar"]: r for r in _rows(url, f"select * from {DARK}")}

    assert {2024, 2025} <= set(published)
    for year, row in published.items():
        pop_rows = [population.get((year, g)) for g in reference]
        pop = (sum(p["inwoners_15plus"] for p in pop_rows)
               if all(p and p["inwoners_15plus"] is not None for p in pop_rows) else None)
        rate = survey.get((year,))
        regs = registered[year] if len(complete_quarters.get(year, [])) == 4 else None
        assert row["inwoners_15plus"] == pop, year
        assert row["aantal_registraties"] == regs, year
        if rate is None or rate["waarde"] is None or pop is None or regs is None:
            # Missing data leaves the figures empty, never 0.
            assert row["registratiegraad"] is None and row["dark_number"] is None, year
            continue
        estimate = {k: Decimal(str(rate[k])) / 100 * pop for k in ("waarde", "ondergrens", "bovengrens")}
        assert row["geschatte_slachtoffers"] == int(_round(estimate["waarde"], "1")), year
        assert row["registratiegraad"] == _round(regs / estimate["waarde"], "0.0001"), year
        assert row["registratiegraad_ondergrens"] == _round(regs / estimate["bovengrens"], "0.0001"), year
        assert row["registratiegraad_bovengrens"] == _round(regs / estimate["ondergrens"], "0.0001"), year
        assert row["dark_number"] == int(_round(estimate["waarde"] - regs, "1")), year

    for year in (2024, 2025):
        row = published[year]
        assert 0 < row["registratiegraad"] < 1, row
        assert row["registratiegraad_ondergrens"] < row["registratiegraad"] < row["registratiegraad_bovengrens"], row
        assert row["dark_number_ondergrens"] < row["dark_number"] < row["dark_number_bovengrens"], row
        print(f"dark number {year}: {row['aantal_registraties']} registraties op ~{row['geschatte_slachtoffers']}"
              f" geschatte slachtoffers ({row['slachtofferschap_pct']}% van {row['inwoners_15plus']} 15+):"
              f" registratiegraad {row['registratiegraad']} [{row['registratiegraad_ondergrens']},"
              f" {row['registratiegraad_bovengrens']}], dark number {row['dark_number']}")
    # The running year has neither a survey figure nor a complete year of registrations yet.
    assert published[2026]["registratiegraad"] is None and published[2026]["aantal_registraties"] is None


# -- the fit -------------------------------------------------------------------------------------------
def test_fit_has_every_gemeente_in_every_year(fit: dict, reference: dict[str, dict],
                                              complete_quarters: dict[int, list[int]]) -> None:
    assert {2024, 2025, 2026} <= set(complete_quarters)
    for year, quarters in complete_quarters.items():
        rows = [r for (niveau, _, y), r in fit.items() if niveau == "gemeente" and y == year]
        assert {r["gemeentecode"] for r in rows} == set(reference), year
        assert {r["kwartalen"] for r in rows} == {len(quarters)}
        assert all(r["basisteam_code"] == reference[r["gemeentecode"]]["basisteam_code"]
                   and r["district"] == reference[r["gemeentecode"]]["district"] for r in rows)
    assert {niveau for niveau, _, _ in fit} == {"gemeente", "basisteam", "district", "regio"}


def test_fit_counts_and_shares_match_raw(fit: dict, registrations: list[dict],
                                         complete_quarters: dict[int, list[int]]) -> None:
    truth: Counter = Counter()
    for r in registrations:
        year, quarter = r["registratiedatum"].year, (r["registratiedatum"].month - 1) // 3 + 1
        if quarter not in complete_quarters.get(year, []):
            continue
        for area in _areas(r):
            for group in _groups(r):
                truth[(*area, year, group)] += 1
    shown = hidden = 0
    columns = {"totaal": "aantal_registraties", **{g: f"aantal_{k}" for _, k, g, _ in PAIRS}}
    for (niveau, code, year), row in fit.items():
        total = row["aantal_registraties"]
        for group, column in columns.items():
            value = row[column]
            if value is None:
                hidden += 1
                assert row[f"{column}_weergave"] in ("<5", "x")
                if row[f"{column}_weergave"] == "<5":
                    assert 1 <= truth[(niveau, code, year, group)] < MIN_COUNT
                continue
            shown += 1
            assert value == truth[(niveau, code, year, group)], (niveau, code, year, group)
            assert row[f"{column}_weergave"] == str(value)
        for _, suffix, _, _ in PAIRS:
            count, share = row[f"aantal_{suffix}"], row[f"aandeel_{suffix}_pct"]
            if count is None or not total:
                assert share is None, (niveau, code, year, suffix)
            else:
                assert share == _round(Decimal(100 * count) / total, "0.1"), (niveau, code, year, suffix)
    print(f"interventie_fit: {shown} counts shown, {hidden} hidden")
    assert shown > 2 * hidden


def test_no_count_from_1_to_4_in_fit_or_dark_number(warehouse: Warehouse) -> None:
    for table in (FIT, DARK):
        schema, name = table.split(".")
        columns = [r["column_name"] for r in _rows(warehouse.url, """
            select column_name from information_schema.columns
            where table_schema = %s and table_name = %s and column_name like 'aantal%%' and data_type = 'integer'""",
            (schema, name))]
        assert columns, table
        for column in columns:
            small = _rows(warehouse.url, sql.SQL("select count(*) as n from {} where {} between 1 and {}").format(
                sql.Identifier(schema, name), sql.Identifier(column), sql.Literal(MIN_COUNT - 1)))[0]["n"]
            assert small == 0, f"{table}.{column}"


def test_fit_activities_match_raw(warehouse: Warehouse, fit: dict, reference: dict[str, dict],
                                  complete_quarters: dict[int, list[int]]) -> None:
    latest: dict[tuple, dict] = {}
    for r in _rows(warehouse.url, f"""
            select d.partner, r.datum, r.titel, r.gemeente, r.doelgroep, r.bereik
            from raw.activiteiten r {CURRENT} order by r.delivery_id, r.line_number"""):
        latest[(r["partner"], r["datum"], r["titel"])] = r
    counts: Counter = Counter()
    reach: dict[tuple, int] = defaultdict(int)
    for a in latest.values():
        year, quarter = a["datum"].year, (a["datum"].month - 1) // 3 + 1
        if quarter not in complete_quarters.get(year, []):
            continue
        code = a["gemeente"] or (a["partner"].upper() if a["partner"].upper().startswith("GM") else None)
        place = reference.get(code)
        row = {"gemeente": code if place else None, "basisteam": place and place["basisteam_code"],
               "district": place and place["district"]}
        for area in _areas(row):
            counts[(*area, year, None)] += 1
            counts[(*area, year, a["doelgroep"])] += 1
            reach[(*area, year, a["doelgroep"])] += a["bereik"] or 0
    shown = 0
    for (niveau, code, year), row in fit.items():
        # A hidden count (disclosure control, as in activiteiten_kwartaal) is empty, never wrong.
        assert row["activiteiten"] in (None, counts[(niveau, code, year, None)]), (niveau, code, year)
        shown += row["activiteiten"] is not None
        for doelgroep, _, _, _ in PAIRS:
            assert row[f"activiteiten_{doelgroep}"] in (None, counts[(niveau, code, year, doelgroep)])
            if row[f"bereik_{doelgroep}"] is not None:
                assert row[f"activiteiten_{doelgroep}"] is not None
                assert row[f"bereik_{doelgroep}"] == reach[(niveau, code, year, doelgroep)]
    assert shown > 0


def _expected_signal(row: dict) -> str:
    if row["activiteiten"] == 0:
        return "geen activiteiten geleverd"
    verdicts = {}
    for doelgroep, suffix, _, words in PAIRS:
        victims, reached = row[f"aandeel_{suffix}_pct"], row[f"aandeel_bereik_{doelgroep}_pct"]
        if victims is None:
            verdicts[doelgroep] = "onbekend"
        elif victims < VEEL_PCT:
            verdicts[doelgroep] = "ok"
        elif reached is None:
            verdicts[doelgroep] = "onbekend"
        else:
            verdicts[doelgroep] = words if reached < FACTOR_WEINIG * victims else "ok"
    mismatches = [v for v in verdicts.values() if v not in ("ok", "onbekend")]
    unknown = [d for d, v in verdicts.items() if v == "onbekend"]
    if mismatches:
        return "; ".join(mismatches)
    if not unknown:
        return "in balans"
    if len(unknown) == len(PAIRS):
        return "niet te beoordelen"
    return f"in balans (niet te beoordelen: {', '.join(unknown)})"


def test_signal_follows_the_published_shares(fit: dict) -> None:
    signals = Counter()
    for key, row in fit.items():
        assert row["signaal"] == _expected_signal(row), key
        signals[row["signaal"].split(" (")[0] if not row["signaal"].startswith("weinig") else "mismatch"] += 1
    print(f"signals: {dict(signals)}")
    # The synthetic data have both, so the rule above is exercised both ways.
    assert signals["mismatch"] > 0 and signals["in balans"] > 0


# -- disclosure across both relations ---------------------------------------------------------------
class Equations:
    """Published sums "children = parent" over cells; a cell is unknown while it is hidden."""

    def __init__(self) -> None:
        self.hidden: set[tuple] = set()
        self.cells: set[tuple] = set()
        self.sums: list[tuple[tuple, ...]] = []

    def cell(self, key: tuple, hidden: bool) -> None:
        self.cells.add(key)
        if hidden:
            self.hidden.add(key)

    def add(self, members: list[tuple]) -> None:
        if all(m in self.cells for m in members):
            self.sums.append(tuple(members))

    def recoverable(self) -> set[tuple]:
        """Hidden cells a reader solves by subtracting, one equation at a time, to the end."""
        unknown = set(self.hidden)
        changed = True
        while changed:
            changed = False
            for members in self.sums:
                left = [m for m in members if m in unknown]
                if len(left) == 1:
                    unknown.discard(left[0])
                    changed = True
        return self.hidden - unknown


def test_no_hidden_cell_recoverable_from_both_relations(warehouse: Warehouse, fit: dict,
                                                         complete_quarters: dict[int, list[int]]) -> None:
    """Rebuilt from the published rows alone: lokaal_beeld_kwartaal's sums (gemeenten in their
    basisteam, basisteams in their district, breakdown values in their total, modi in their
    categorie), interventie_fit's sums (the same areas per year) and the sums that tie them: a year
    here is the sum of its quarters there. The district -> region sums are not exact (the region also
    counts gemeente onbekend) and tell a reader nothing exact."""
    eq = Equations()
    parent = {}
    lokaal = _rows(warehouse.url, "select * from reporting.lokaal_beeld_kwartaal")
    for r in lokaal:
        area = (r["niveau"], r["gebied_code"])
        parent[area] = {"gemeente": ("basisteam", r["basisteam_code"]), "basisteam": ("district", r["district"])
                        }.get(r["niveau"])
        eq.cell(("L", *area, r["jaar"], r["kwartaal"], r["uitsplitsing"], r["waarde"]), r["onderdrukt"])
    by_area_period: dict[tuple, list[dict]] = defaultdict(list)
    for r in lokaal:
        by_area_period[(r["niveau"], r["gebied_code"], r["jaar"], r["kwartaal"])].append(r)
    children: dict[tuple, list[tuple]] = defaultdict(list)
    for area, up in parent.items():
        if up:
            children[up].append(area)
    for (niveau, code, year, quarter), rows in by_area_period.items():
        def key(u, w):
            return ("L", niveau, code, year, quarter, u, w)
        for breakdown in ("categorie", "registratiesoort", "leeftijdsklasse", "slachtoffer_type"):
            eq.add([key("totaal", "totaal")]
                   + [key(breakdown, r["waarde"]) for r in rows if r["uitsplitsing"] == breakdown])
        for category in ("cybercrime", "gedigitaliseerde criminaliteit"):
            modi = [r["waarde"] for r in rows if r["uitsplitsing"] == "modus"
                    and (r["waarde"] in CYBERCRIME_MODI) == (category == "cybercrime")]
            eq.add([key("categorie", category)] + [key("modus", m) for m in modi])
        for r in rows:
            if (niveau, code) in children:
                eq.add([("L", niveau, code, year, quarter, r["uitsplitsing"], r["waarde"])]
                       + [("L", *c, year, quarter, r["uitsplitsing"], r["waarde"]) for c in children[(niveau, code)]])

    constituents = {"totaal": [("totaal", "totaal")], "65+": [("leeftijdsklasse", "65+")],
                    "onder 25": [("leeftijdsklasse", "0-17"), ("leeftijdsklasse", "18-24")],
                    "ondernemer": [("slachtoffer_type", "ondernemer")]}
    columns = {"totaal": "aantal_registraties", **{g: f"aantal_{k}" for _, k, g, _ in PAIRS}}
    for (niveau, code, year), row in fit.items():
        for group, column in columns.items():
            eq.cell(("F", niveau, code, year, group), row[column] is None)
    for (niveau, code, year), _row in fit.items():
        for group in columns:
            me = ("F", niveau, code, year, group)
            if (niveau, code) in children:
                eq.add([me] + [("F", *c, year, group) for c in children[(niveau, code)]])
            parts = [("L", niveau, code, year, q, u, w) for q in complete_quarters[year]
                     for u, w in constituents[group]]
            eq.add([me] + [p for p in parts if p in eq.cells])

    recovered = eq.recoverable()
    print(f"{len(eq.sums)} published sums over {len(eq.cells)} cells, {len(eq.hidden)} hidden")
    assert len(eq.hidden) > 100 and len(eq.sums) > 1000
    assert recovered == set(), (len(recovered), sorted(recovered)[:10])


def test_recoverability_check_finds_a_revealed_cell() -> None:
    """The check above can fail: a year shown next to exactly one hidden quarter gives it away."""
    eq = Equations()
    eq.cell(("F", "gemeente", "GM0001", 2025, "65+"), False)
    for quarter, hidden in zip(range(1, 5), (False, True, False, False)):
        eq.cell(("L", "gemeente", "GM0001", 2025, quarter), hidden)
    eq.add([("F", "gemeente", "GM0001", 2025, "65+")] + [("L", "gemeente", "GM0001", 2025, q) for q in range(1, 5)])
    assert eq.recoverable() == {("L", "gemeente", "GM0001", 2025, 2)}


def test_recovery_tests_of_the_other_figures_detect_a_revealed_cell(warehouse: Warehouse) -> None:
    """The no_recoverable_cells tests on amounts and second counts can fail: revealing a hidden
    cell that protects another one re-opens an equation."""
    tests = {r["unique_id"].split(".")[2]: r["compiled_code"] for r in warehouse.run_results["results"]
             if r["unique_id"].startswith("test.") and "no_recoverable_cells" in r["unique_id"]}
    cases = [("schade_kwartaal", "schade_eur", "schade_onderdrukt",
              "no_recoverable_cells_schade_kwartaal_schade_eur__schade_onderdrukt"),
             ("fraudemeldingen_kwartaal", "aantal_gedupeerden", "gedupeerden_onderdrukt",
              "no_recoverable_cells_fraudemeldingen_kwartaal_aantal_gedupeerden__gedupeerden_onderdrukt"),
             ("riec_casussen_kwartaal", "aantal", "onderdrukt", "no_recoverable_cells_riec_casussen_kwartaal_")]
    relations = {r["unique_id"].split(".")[-1]: r["relation_name"] for r in warehouse.run_results["results"]
                 if r["unique_id"].startswith("model.")}
    with psycopg.connect(warehouse.url) as conn:
        for table, column, hidden, test in cases:
            compiled, relation = tests[test], relations[table]
            assert relation in compiled, test
            assert conn.execute(f"select count(*) from ({compiled}) t").fetchone()[0] == 0, test
            conn.execute(f"create temporary table getest as select row_number() over () as rid, * from {relation}")
            candidates = [rid for (rid,)
                          in conn.execute(f"select rid from getest where {hidden} order by rid limit 40")]
            assert candidates, f"{table}: nothing hidden in {column}"
            opened = False
            for rid in candidates:
                conn.execute(f"update getest set {hidden} = false, {column} = 0 where rid = %s", (rid,))
                if conn.execute(f"select count(*) from ({compiled.replace(relation, 'getest')}) t").fetchone()[0]:
                    opened = True
                    break
                conn.execute(f"update getest set {hidden} = true, {column} = null where rid = %s", (rid,))
            assert opened, f"{test} found nothing after revealing hidden cells"
            conn.execute("drop table getest")


# -- who sees what ---------------------------------------------------------------------------------------
def test_a_basisteam_sees_its_own_gemeenten_and_the_aggregates(warehouse: Warehouse, fit: dict) -> None:
    audiences = _rows(warehouse.url, "select rolname, basisteam_code, gemeentecode from reference.audiences")
    # The audience with the most gemeenten, so that "its own" is more than one.
    role = Counter(a["rolname"] for a in audiences).most_common(1)[0][0]
    own = {a["gemeentecode"] for a in audiences if a["rolname"] == role}
    team = {a["basisteam_code"] for a in audiences if a["rolname"] == role}
    seen = _rows(warehouse.url, f"select niveau, gebied_code, jaar from {FIT}", role=role)
    expected = {k for k in fit if k[0] in ("regio", "district") or (k[0] == "gemeente" and k[1] in own)
                or (k[0] == "basisteam" and k[1] in team)}
    assert {(r["niveau"], r["gebied_code"], r["jaar"]) for r in seen} == expected
    assert len(_rows(warehouse.url, f"select * from {FIT}", role="reporter_regio")) == len(fit)
    # The dark number has nothing per gemeente or basisteam: every audience reads all of it.
    assert len(_rows(warehouse.url, f"select * from {DARK}", role=role)) == len(
        _rows(warehouse.url, f"select * from {DARK}"))


# -- the catalogue ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    # `dbt parse` needs no warehouse; the URL only fills in the profile.
    return catalogue.load_manifest(dbt_parse(catalogue.OFFLINE_URL))


def test_committed_catalogue_is_a_fresh_render(manifest: dict[str, Any]) -> None:
    committed = catalogue.CATALOGUE.read_text(encoding="utf-8")
    assert committed == catalogue.render(manifest), "run `python -m infopositie.catalogue`"


def test_catalogue_lineage_reaches_the_raw_feeds(manifest: dict[str, Any]) -> None:
    relations = {r.name: r for r in catalogue.reporting_relations(manifest)}
    assert relations["reporting.interventie_fit"].feeds == ("activiteiten", "politie_registraties")
    assert relations["reporting.dark_number"].feeds == ("bevolking", "politie_registraties", "veiligheidsmonitor")
    assert relations["reporting.lokaal_beeld_kwartaal"].feeds == ("politie_registraties",)
    assert relations["reporting.fraudemeldingen_kwartaal"].feeds == ("fraudemeldingen",)
    assert relations["reporting.activiteiten_kwartaal"].feeds == ("activiteiten",)
    assert relations["reporting.schade_kwartaal"].feeds == ("politie_registraties",)
    assert relations["reporting.riec_casussen_kwartaal"].feeds == ("riec_casussen",)
    # Every reporting model says which feeds it depends on, in its own YAML.
    assert all(r.feeds_declared for r in relations.values())
    assert relations["reporting.interventie_fit"].local_detail and not relations["reporting.dark_number"].local_detail
    reporting_models = {n["name"] for n in manifest["nodes"].values()
                        if n["resource_type"] == "model" and n["schema"] == "reporting"}
    assert {name.split(".")[1] for name in relations} == reporting_models
    text = catalogue.render(manifest)
    for contract in all_contracts():
        assert f"(`{contract.feed}`)" in text
        assert f"Bewaartermijn: {contract.retention_years} jaar" in text
    assert "`omschrijving`" in text.split("(`politie_registraties`)")[1].split("\n## ")[0]


def test_a_stale_feed_declaration_stops_the_catalogue(manifest: dict[str, Any]) -> None:
    stale = copy.deepcopy(manifest)
    node = stale["nodes"]["model.infopositie.dark_number"]
    node["config"]["meta"]["feeds"] = ["politie_registraties", "veiligheidsmonitor"]
    with pytest.raises(catalogue.CatalogueError, match="dark_number"):
        catalogue.render(stale)


def test_a_reporting_model_without_feed_declaration_stops_the_catalogue(manifest: dict[str, Any]) -> None:
    undeclared = copy.deepcopy(manifest)
    del undeclared["nodes"]["model.infopositie.schade_kwartaal"]["config"]["meta"]["feeds"]
    with pytest.raises(catalogue.CatalogueError, match="schade_kwartaal: declares no meta.feeds"):
        catalogue.render(undeclared)


def test_catalogue_command_checks_the_committed_file(manifest: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert catalogue.main(["--manifest", str(path), "--check"]) == 0
    stale = copy.deepcopy(manifest)
    stale["nodes"]["model.infopositie.dark_number"]["description"] = "Iets anders."
    path.write_text(json.dumps(stale), encoding="utf-8")
    assert catalogue.main(["--manifest", str(path), "--check"]) == 1
