"""The year-plan monitor (reporting.jaarplan_kpi) and row-level security per audience on `reporting`,
built for real: synthetic deliveries of all feeds -> ingest pipeline -> dbt build, on a scratch
warehouse of its own.

Expectations come from the raw layer, the seeds and the reference data, recomputed here in Python
apart from the dbt models; the year plan's look-back on 2025 (docs/sources/domain.md) is what the
synthetic generator is built to reproduce, so those figures are checked against the plan too.
"""
from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest
import yaml
from psycopg import sql
from psycopg.rows import dict_row

from infopositie.dbt import DBT_PROJECT_DIR
from tests.conftest import build_without_unit_tests, create_scratch_database, drop_database
from warehouse.connection import connect

KPI = "reporting.jaarplan_kpi"
SEEDS = DBT_PROJECT_DIR / "seeds"
START, END, SEED = "2024-01", "2026-10", 20261128
STATUSES = {"behaald", "niet behaald", "op koers", "achter", "geen data", None}


def _rows(url: str, query: str | sql.Composable, params: tuple = (), *, role: str | None = None) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        if role:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        return conn.execute(query, params).fetchall()


def _seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def role_for(basisteam_code: str) -> str:
    """The agreed role name, derived here independently: reporter_ + code, lower case, '-' as '_'."""
    return "reporter_" + basisteam_code.lower().replace("-", "_")


def district_role_for(district: str) -> str:
    """reporter_district_ + the district name in lower case, every run of non-alphanumerics as '_'."""
    return "reporter_district_" + re.sub(r"[^a-z0-9]+", "_", district.lower())


def current_districts(url: str) -> dict[str, tuple[set[str], set[str]]]:
    """district -> (its gemeenten, its basisteams), from reference.gemeenten as valid today."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    for r in _rows(url, """select district, basisteam_code, gemeentecode from reference.gemeenten
                           where geldig_van <= current_date and (geldig_tot is null or geldig_tot > current_date)"""):
        gemeenten, teams = out.setdefault(r["district"], (set(), set()))
        gemeenten.add(r["gemeentecode"])
        teams.add(r["basisteam_code"])
    return out


def current_audiences(url: str) -> dict[str, set[str]]:
    """basisteam code -> its gemeenten, straight from reference.gemeenten as valid today."""
    out: dict[str, set[str]] = defaultdict(set)
    for r in _rows(url, """select basisteam_code, gemeentecode from reference.gemeenten
                           where geldig_van <= current_date and (geldig_tot is null or geldig_tot > current_date)"""):
        out[r["basisteam_code"]].add(r["gemeentecode"])
    return dict(out)


# -- the warehouse -----------------------------------------------------------------------------------
@dataclass
class Warehouse:
    url: str
    published: dict[int, set[str]]      # year -> basisteams that got two or more pictures


def _publish(url: str) -> dict[int, set[str]]:
    """Write the publication log as the document renderer does (role loader): in 2025 five
    basisteams get two quarters each (for one of them via two of its gemeenten), one gets the same
    quarter twice and one a single quarter; in 2026 one basisteam gets two."""
    audiences = current_audiences(url)
    teams = sorted(audiences)
    twice_2025 = teams[:5]
    rows: list[tuple[str, str, str, str]] = []
    for _i, team in enumerate(twice_2025):
        gemeenten = sorted(audiences[team])
        rows.append((gemeenten[0], team, "2025-Q1", "2025-04-20 10:00+02"))
        rows.append((gemeenten[-1], team, "2025-Q3", "2025-10-20 10:00+02"))
    rows.append((sorted(audiences[teams[5]])[0], teams[5], "2025-Q2", "2025-07-10 10:00+02"))
    rows.append((sorted(audiences[teams[5]])[0], teams[5], "2025-Q2", "2025-07-11 10:00+02"))
    rows.append((sorted(audiences[teams[6]])[0], teams[6], "2025-Q3", "2025-10-21 10:00+02"))
    rows.append((sorted(audiences[teams[0]])[0], teams[0], "2026-Q1", "2026-04-15 10:00+02"))
    rows.append((sorted(audiences[teams[0]])[0], teams[0], "2026-Q2", "2026-07-15 10:00+02"))
    with connect(url, role="loader") as conn, conn.cursor() as cur:
        cur.executemany(
            "insert into audit.publications (gemeentecode, basisteam_code, periode, published_at, document)"
            " values (%s, %s, %s, %s, 'reports/' || %s || '.html')",
            [(g, t, p, at, f"{g}_{p}") for g, t, p, at in rows])
    return {2025: set(twice_2025), 2026: {teams[0]}}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, pseudonym_key: bytes) -> Iterator[Warehouse]:
    from ingest.landing import LocalLandingZone
    from ingest.pipeline import ingest_landing
    from synthetic import generate

    url = create_scratch_database("kpi")
    zone = LocalLandingZone(tmp_path_factory.mktemp("kpi-store"))
    generate(zone, start=START, end=END, seed=SEED)
    results = ingest_landing(zone, url)
    assert results and all(r.status == "loaded" for r in results), [
        r.as_dict() for r in results if r.status != "loaded"]
    published = _publish(url)
    assert build_without_unit_tests(url) == 0, "dbt build failed on the synthetic data set"
    yield Warehouse(url, published)
    if not os.environ.get("KEEP_TEST_DATABASE"):
        drop_database(url)


@pytest.fixture(scope="module")
def kpi(warehouse: Warehouse) -> dict[tuple[str, int], dict[str, Any]]:
    return {(r["indicator"], r["jaar"]): r for r in _rows(warehouse.url, f"select * from {KPI}")}


# -- the seed and its copy in the unit tests -----------------------------------------------------------
def test_lookback_unit_tests_use_the_real_targets() -> None:
    """dbt cannot read a seed with empty cells from disk in a unit test, so the unit tests that
    judge the real year plan carry a copy of jaarplan_streefwaarden: it must be the seed as it is."""
    def canonical(value: Any) -> str:
        text = "" if value is None else str(value)
        try:
            return format(Decimal(text).normalize(), "f")
        except ArithmeticError:
            return text

    seed = [{k: canonical(v) for k, v in r.items() if k != "toelichting"} for r in _seed("jaarplan_streefwaarden")]
    document = yaml.safe_load((DBT_PROJECT_DIR / "models" / "reporting" / "_reporting__models.yml").read_text())
    copies = {t["name"]: g["rows"] for t in document["unit_tests"] for g in t["given"]
              if t["name"] in ("ut_jaarplan_kpi_terugblik_2025", "ut_jaarplan_kpi_lopend_jaar")
              and g["input"] == "ref('jaarplan_streefwaarden')"}
    assert set(copies) == {"ut_jaarplan_kpi_terugblik_2025", "ut_jaarplan_kpi_lopend_jaar"}
    for name, rows in copies.items():
        assert [{k: canonical(v) for k, v in r.items()} for r in rows] == seed, (
            f"{name}: its copy of jaarplan_streefwaarden differs from the seed")


# -- the monitor -----------------------------------------------------------------------------------------
def _years_with_data(url: str) -> set[int]:
    """Every year in which some indicator's source has data, from raw and audit (not from dbt)."""
    current = "join audit.deliveries d using (delivery_id) where d.is_current"
    years: set[int] = set()
    for query in (
        f"select distinct extract(year from registratiedatum)::int as y from raw.politie_registraties r {current}",
        f"select distinct extract(year from instroomdatum)::int from raw.om_instroom r {current}",
        f"select distinct extract(year from datum)::int from raw.activiteiten r {current}",
        "select distinct substr(period, 1, 4)::int from audit.deliveries where feed = 'riec_casussen' and is_current",
        f"""select distinct jaar from raw.veiligheidsmonitor r {current} and regio = 'RE09' and waarde is not null
            and (indicator = 'slachtofferschap_online' or (indicator = 'aangiftebereidheid_online' and bron = 'VM'))""",
        "select distinct extract(year from published_at at time zone 'Europe/Amsterdam')::int from audit.publications",
    ):
        years |= {next(iter(r.values())) for r in _rows(url, query)}
    today = _rows(url, "select current_date as d")[0]["d"]
    return {y for y in years if y <= today.year}


def test_every_indicator_for_every_year_with_data(warehouse: Warehouse, kpi: dict) -> None:
    indicators = {r["indicator"]: int(r["doel"]) for r in _seed("jaarplan_indicatoren")}
    assert len(indicators) == 11
    years = _years_with_data(warehouse.url)
    assert {2024, 2025, 2026} <= years
    assert set(kpi) == {(i, y) for i in indicators for y in years}
    for (indicator, _), row in kpi.items():
        assert row["doel"] == indicators[indicator]
        assert row["status"] in STATUSES
    # Every indicator has a realisation somewhere: none is wired to nothing.
    assert {i for (i, _), r in kpi.items() if r["realisatie"] is not None} == set(indicators)


def _riec_online_2025(url: str) -> tuple[int, set[str], int]:
    """Cases with an online component that first show fase casus in a 2025 snapshot, their
    districts, and the bestuurlijke rapportages added in 2025, recomputed from the raw snapshots."""
    snapshots = _rows(url, """
        select d.period::date as peildatum, r.casusnummer_pseudoniem as casus, r.fase, r.startdatum,
               r.district, r.online_component, r.bestuurlijke_rapportages
        from raw.riec_casussen r join audit.deliveries d using (delivery_id)
        where d.is_current order by 1""")
    first_snapshot = min(s["peildatum"] for s in snapshots)
    by_case: dict[str, list[dict]] = defaultdict(list)
    for s in snapshots:
        by_case[s["casus"]].append(s)
    cases, districts = 0, set()
    for history in by_case.values():
        latest = history[-1]
        reached = next((s for s in history if s["fase"] == "casus"), None)
        if not latest["online_component"] or reached is None or reached["peildatum"].year != 2025:
            continue
        if reached["peildatum"] == first_snapshot and reached["startdatum"].year < 2025:
            continue
        cases += 1
        districts.add(latest["district"])
    end = {y: max(s["peildatum"] for s in snapshots if s["peildatum"].year == y) for y in (2024, 2025)}
    stand = {y: {s["casus"]: s for s in snapshots if s["peildatum"] == end[y]} for y in end}
    growth = sum(s["bestuurlijke_rapportages"] - (stand[2024][c]["bestuurlijke_rapportages"] if c in stand[2024] else 0)
                 for c, s in stand[2025].items() if s["online_component"])
    return cases, districts, growth


def _activities_2025(url: str) -> dict[str, int]:
    """The 2025 activity figures from raw: one activity per delivering folder, datum and titel,
    the latest delivery winning (docs/sources/feeds/activiteiten.md)."""
    rows = _rows(url, """
        select d.partner, r.datum, r.titel, r.type, r.doelgroep, r.campagne, r.bereik, r.delivery_id, r.line_number
        from raw.activiteiten r join audit.deliveries d using (delivery_id)
        where d.is_current and extract(year from r.datum) = 2025""")
    latest: dict[tuple, dict] = {}
    for r in sorted(rows, key=lambda r: (r["delivery_id"], r["line_number"])):
        latest[(r["partner"], r["datum"], r["titel"])] = r
    acts = list(latest.values())
    def campagne(a):
        return (a["campagne"] or "").strip().lower()
    return {
        "kennisbijeenkomsten": sum(a["type"] == "kennisbijeenkomst" for a in acts),
        "actiedag_activiteiten": sum(a["type"] == "actiedag" and campagne(a) == "#echtnietvandaag" for a in acts),
        "echt_nep_bereik_senioren": sum(a["bereik"] or 0 for a in acts
                                        if campagne(a) == "echt-nep" and a["doelgroep"] == "senioren"),
    }


def test_lookback_2025(warehouse: Warehouse, kpi: dict) -> None:
    """The year plan's look-back on 2025 (annex 2), from the data through the real pipeline."""
    def row(indicator: str, year: int = 2025) -> tuple:
        r = kpi[(indicator, year)]
        return r["realisatie"], r["streefwaarde"], r["status"]

    activities = _activities_2025(warehouse.url)
    assert activities == {"kennisbijeenkomsten": 15, "actiedag_activiteiten": 105, "echt_nep_bereik_senioren": 787}
    assert row("kennisbijeenkomsten") == (15, 12, "behaald")
    assert row("actiedag_activiteiten") == (105, 100, "behaald")
    assert row("echt_nep_bereik_senioren") == (787, 300, "behaald")

    cases, districts, growth = _riec_online_2025(warehouse.url)
    assert cases == 2 and growth > 10
    assert row("riec_casussen_online") == (cases, 5, "niet behaald")
    assert row("districten_met_riec_casus_online") == (len(districts), 5, "niet behaald")
    assert row("bestuurlijke_rapportages") == (growth, 5, "behaald")

    # Online victimisation rose from 15.6% (2023, the baseline) to 16% (2024): behind the straight
    # line towards 13% in 2027 (15.6 - 2.6/4 = 14.95).
    assert row("slachtofferschap_online", 2023) == (Decimal("15.6"), None, None)
    assert row("slachtofferschap_online", 2024) == (16, Decimal("14.95"), "achter")
    assert row("aangiftebereidheid_online", 2023) == (Decimal("16.9"), None, None)

    # Goal 1 from the publication log: five basisteams got two pictures, out of every basisteam.
    basisteams = len(current_audiences(warehouse.url))
    assert row("basisteams_met_twee_informatiebeelden") == (len(warehouse.published[2025]), basisteams, "niet behaald")
    assert row("basisteams_met_twee_informatiebeelden", 2026)[0] == len(warehouse.published[2026])


def _round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _target(rules: list[dict[str, str]], year: int, basisteams: int) -> tuple[Decimal | None, str | None, str]:
    """(target for the year, kind of judgement, direction) from the seed rows of one indicator."""
    for r in rules:
        richting = r["richting"]
        if r["soort"] == "jaarlijks":
            if int(r["vanaf_jaar"]) <= year and (not r["tot_en_met_jaar"] or year <= int(r["tot_en_met_jaar"])):
                value = {"vast": lambda: Decimal(r["streefwaarde"]),
                         "factor_maal_referentie": lambda: _round2(Decimal(r["referentiewaarde"])
                                                                   * Decimal(r["factor"])),
                         "alle_basisteams": lambda: Decimal(basisteams)}[r["streefwaarde_regel"]]()
                return value, "jaarlijks", richting
        else:
            base_year, goal_year = int(r["basisjaar"]), int(r["tot_en_met_jaar"])
            base, goal = Decimal(r["basiswaarde"]), Decimal(r["streefwaarde"])
            if year == goal_year:
                return goal, "doeljaar", richting
            if base_year < year < goal_year:
                return _round2(base + (goal - base) * (year - base_year) / (goal_year - base_year)), "lijn", richting
    return None, None, ""


def test_statuses_follow_the_rules(warehouse: Warehouse, kpi: dict) -> None:
    """Every row's target and status recomputed from the seed, apart from the SQL."""
    today: date = _rows(warehouse.url, "select current_date as d")[0]["d"]
    share = Decimal((today - date(today.year, 1, 1)).days) / Decimal(
        (date(today.year + 1, 1, 1) - date(today.year, 1, 1)).days)
    rules: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in _seed("jaarplan_streefwaarden"):
        rules[r["indicator"]].append(r)
    basisteams = len(current_audiences(warehouse.url))
    seen = defaultdict(int)
    for (indicator, year), row in kpi.items():
        target, kind, richting = _target(rules[indicator], year, basisteams)
        assert row["streefwaarde"] == target, (indicator, year)
        value = row["realisatie"]
        def meets(goal):
            return value >= goal if richting == "minimaal" else value <= goal
        if value is None:
            expected = "geen data"
        elif target is None:
            expected = None
        elif kind == "jaarlijks" and year == today.year:
            expected = "op koers" if meets(target * share) else "achter"
        elif kind == "lijn":
            expected = "op koers" if meets(target) else "achter"
        else:
            expected = "behaald" if meets(target) else "niet behaald"
        assert row["status"] == expected, (indicator, year, value, target)
        seen[expected] += 1
    # The data set exercises the statuses of completed years, the running year and the line.
    assert {"behaald", "niet behaald", "achter", "geen data", None} <= set(seen), dict(seen)


# -- row-level security ----------------------------------------------------------------------------------
def _local_relations(url: str) -> dict[str, set[str]]:
    """Every reporting table with local detail (gemeentecode or basisteam_code) -> its columns."""
    columns: dict[str, set[str]] = defaultdict(set)
    for r in _rows(url, "select table_name, column_name from information_schema.columns"
                        " where table_schema = 'reporting'"):
        columns[r["table_name"]].add(r["column_name"])
    return {t: c for t, c in columns.items() if {"gemeentecode", "basisteam_code"} & c}


def _visible_to(row: dict, columns: set[str], basisteam: str | None, gemeenten: set[str]) -> bool:
    """The access rule of the issue, written out: region and district aggregates for everyone,
    gemeente and basisteam rows only for their own basisteam."""
    if "niveau" in columns and row["niveau"] in ("regio", "district"):
        return True
    gemeente, team = row.get("gemeentecode"), row.get("basisteam_code")
    if "niveau" not in columns and gemeente is None and team is None:
        return True
    if gemeente is not None:
        return gemeente in gemeenten
    return basisteam is not None and team == basisteam


def _check_roles(url: str) -> dict[str, int]:
    """For every basisteam role and every local reporting relation: the role sees exactly the rows
    the rule allows (nothing of another basisteam's gemeenten, nothing of its own missing)."""
    audiences = current_audiences(url)
    relations = _local_relations(url)
    assert "lokaal_beeld_kwartaal" in relations
    seen: dict[str, int] = {}
    for table, columns in relations.items():
        query = sql.SQL("select * from reporting.{}").format(sql.Identifier(table))
        everything = _rows(url, query)
        assert everything, f"reporting.{table} is empty: nothing to check"
        for basisteam, gemeenten in audiences.items():
            role = role_for(basisteam)
            visible = _rows(url, query, role=role)
            wrong = [r for r in visible if not _visible_to(r, columns, basisteam, gemeenten)]
            assert not wrong, f"{role} sees rows of others in reporting.{table}: {wrong[:3]}"
            assert len(visible) == sum(_visible_to(r, columns, basisteam, gemeenten) for r in everything), (
                f"{role} misses rows of its own in reporting.{table}")
            if "gemeentecode" in columns:
                assert any(r["gemeentecode"] in gemeenten for r in visible), f"{role} sees none of its gemeenten"
            seen[role] = seen.get(role, 0) + len(visible)
        # The region sees everything; a reporter without an audience of its own only aggregates.
        assert len(_rows(url, query, role="reporter_regio")) == len(everything)
        aggregates = _rows(url, query, role="reporter")
        assert aggregates and all(_visible_to(r, columns, None, set()) for r in aggregates)
    return seen


def test_audience_roles_come_from_the_reference_data(warehouse: Warehouse) -> None:
    audiences = current_audiences(warehouse.url)
    assert len(audiences) >= 10
    roles = {r["rolname"]: r for r in _rows(warehouse.url, """
        select rolname, rolcanlogin, rolbypassrls, pg_has_role(rolname, 'reporter', 'MEMBER') as is_reporter
        from pg_roles where starts_with(rolname, 'reporter')""")}
    for basisteam in audiences:
        role = roles.get(role_for(basisteam))
        assert role, f"no role for basisteam {basisteam}"
        assert role["is_reporter"] and role["rolcanlogin"] and not role["rolbypassrls"]
    # The owner of the reporting tables is not a reporter, so the policies bind every reporter.
    owner = _rows(warehouse.url, "select pg_has_role('transformer', 'reporter', 'MEMBER') as m")[0]["m"]
    assert owner is False
    # Creating the roles again (every migrate does) creates nothing new.
    assert _rows(warehouse.url, "select * from audit.sync_audience_roles()") == []


def test_every_basisteam_role_sees_only_its_own_gemeenten(warehouse: Warehouse) -> None:
    seen = _check_roles(warehouse.url)
    assert set(seen) == {role_for(b) for b in current_audiences(warehouse.url)}
    # A relation without local detail (the monitor) is the same for everyone.
    count = len(_rows(warehouse.url, f"select * from {KPI}"))
    assert all(len(_rows(warehouse.url, f"select * from {KPI}", role=role)) == count for role in list(seen)[:3])


def test_reporters_cannot_read_the_publication_log(warehouse: Warehouse) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _rows(warehouse.url, "select * from audit.publications", role="reporter_regio")
    assert _rows(warehouse.url, "select count(*) as n from audit.publications", role="transformer")[0]["n"] > 0


def _visible_to_district(row: dict, columns: set[str], gemeenten: set[str], teams: set[str]) -> bool:
    """A district werkgroep: the aggregates everyone sees, plus every gemeente and basisteam row of
    its own district."""
    if _visible_to(row, columns, None, set()):
        return True
    if row.get("gemeentecode") is not None:
        return row["gemeentecode"] in gemeenten
    return row.get("basisteam_code") in teams


def test_every_district_role_sees_only_its_own_districts_gemeenten(warehouse: Warehouse) -> None:
    """Acceptance of issue 10: in every reporting relation with a gemeentecode, each district role
    sees only its own district's gemeenten, and at least one row of them."""
    url = warehouse.url
    districts = current_districts(url)
    assert len(districts) >= 5
    roles = {r["rolname"]: r for r in _rows(url, """
        select rolname, rolcanlogin, rolbypassrls, pg_has_role(rolname, 'reporter', 'MEMBER') as is_reporter
        from pg_roles where starts_with(rolname, 'reporter_district_')""")}
    assert set(roles) >= {district_role_for(d) for d in districts}
    assert all(r["is_reporter"] and r["rolcanlogin"] and not r["rolbypassrls"] for r in roles.values())

    relations = _local_relations(url)
    with_gemeente = {t for t, c in relations.items() if "gemeentecode" in c}
    assert "lokaal_beeld_kwartaal" in with_gemeente
    for table, columns in relations.items():
        query = sql.SQL("select * from reporting.{}").format(sql.Identifier(table))
        everything = _rows(url, query)
        for district, (gemeenten, teams) in districts.items():
            role = district_role_for(district)
            visible = _rows(url, query, role=role)
            others = {r["gemeentecode"] for r in visible if r.get("gemeentecode") is not None} - gemeenten
            assert not others, f"{role} sees gemeenten of other districts in reporting.{table}: {sorted(others)[:5]}"
            wrong = [r for r in visible if not _visible_to_district(r, columns, gemeenten, teams)]
            assert not wrong, f"{role} sees rows of others in reporting.{table}: {wrong[:3]}"
            assert len(visible) == sum(_visible_to_district(r, columns, gemeenten, teams) for r in everything), (
                f"{role} misses rows of its own district in reporting.{table}")
            if table in with_gemeente:
                assert any(r["gemeentecode"] in gemeenten for r in visible), (
                    f"{role} sees none of its gemeenten in reporting.{table}")


def test_moving_a_gemeente_changes_access_after_a_rebuild(warehouse: Warehouse) -> None:
    """Runs last: it changes the reference data of the module's warehouse."""
    url = warehouse.url
    audiences = current_audiences(url)
    # A gemeente of a basisteam with more than one, moved to another basisteam of its district.
    ref = {r["gemeentecode"]: r for r in _rows(url, """
        select * from reference.gemeenten
        where geldig_van <= current_date and (geldig_tot is null or geldig_tot > current_date)""")}
    moving = next(g for g, r in sorted(ref.items()) if len(audiences[r["basisteam_code"]]) > 1
                  and any(o["district"] == r["district"] and o["basisteam_code"] != r["basisteam_code"]
                          for o in ref.values()))
    old_team = ref[moving]["basisteam_code"]
    new_ref = next(o for o in sorted(ref.values(), key=lambda o: o["basisteam_code"])
                   if o["district"] == ref[moving]["district"] and o["basisteam_code"] != old_team)
    new_team = new_ref["basisteam_code"]

    def sees(role: str) -> bool:
        return bool(_rows(url, "select 1 from reporting.lokaal_beeld_kwartaal where gemeentecode = %s limit 1",
                          (moving,), role=role))

    assert sees(role_for(old_team)) and not sees(role_for(new_team))

    # As a new row of the reference data would: the old assignment ends today, the new one starts.
    with psycopg.connect(url) as conn:
        conn.execute("update reference.gemeenten set geldig_tot = current_date"
                     " where gemeentecode = %s and geldig_tot is null", (moving,))
        conn.execute("""
            insert into reference.gemeenten (gemeentecode, gemeentenaam, provincie, veiligheidsregio, district,
                basisteam_code, basisteam_naam, inwoners_circa, district_verified, geldig_van, geldig_tot)
            select gemeentecode, gemeentenaam, provincie, veiligheidsregio, district, %s, %s, inwoners_circa,
                district_verified, current_date, null
            from reference.gemeenten where gemeentecode = %s and geldig_tot = current_date""",
                     (new_team, new_ref["basisteam_naam"], moving))
    assert build_without_unit_tests(url) == 0, "dbt build failed after the reference change"

    assert sees(role_for(new_team)) and not sees(role_for(old_team))
    # The moved gemeente's rows now sit under its new basisteam, and the full check still holds.
    teams = {r["basisteam_code"] for r in _rows(
        url, "select distinct basisteam_code from reporting.lokaal_beeld_kwartaal where gemeentecode = %s", (moving,))}
    assert teams == {new_team}
    _check_roles(url)
