"""Every card's SQL, as stored in Metabase and rendered the way Metabase renders it, runs on the
real warehouse as the audience's role, with the gemeente filter empty and set.

The cards come from the fake Metabase after a real apply (so what is tested is what Metabase
holds), the field filter is resolved through Metabase's own metadata, and the SQL runs as
reporter_regio with SET ROLE, exactly like the stuurgroep's connection.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from dashboards.metabase import native
from dashboards.metabase.apply import apply_all
from dashboards.spec import load_audiences, load_dashboards
from tests.dashboards.helpers import Admin, columns_by_field_id, database_named
from tests.fixtures.fake_metabase import FakeMetabase

SPEC = next(d for d in load_dashboards() if d.key == "lokaal_informatiebeeld")
AUDIENCE = load_audiences()[SPEC.audiences[0]]
COUNT_COLUMNS = {"Registraties", "Aantal", "Zelfde kwartaal vorig jaar", "Weergave", "Registraties politie",
                 "Meldingen bij partners", "Meldingen", "Gedupeerden", "Activiteiten", "Bereik", "Casussen"}
SHOWN = re.compile(r"^(\d+|<5|x)$")
# An unknown reach is said in words; it is not a count.
UNKNOWN = {"Bereik": "onbekend"}
# Cards that compare the chosen gemeente with its district and the region.
COMPARING = {"per_10000_vergelijking", "positie_district_regio"}


@dataclass
class Applied:
    cards: dict[str, dict]          # spec key -> card as stored in Metabase
    columns: dict[int, tuple[str, str, str]]


@pytest.fixture(scope="module")
def applied(reporting_url: str, one_scope: Path) -> Iterator[Applied]:
    with FakeMetabase() as fake, pytest.MonkeyPatch.context() as mp:
        mp.setenv("METABASE_ADMIN_EMAIL", fake.admin_email)
        mp.setenv("METABASE_ADMIN_PASSWORD", fake.admin_password)
        summary = apply_all(fake.url, warehouse_url=reporting_url, specs_dir=one_scope)
        admin = Admin(fake)
        db = database_named(admin, AUDIENCE.connection)
        by_name = {c.name: c.key for c in SPEC.cards}
        dashboard = admin.get(f"/api/dashboard/{summary['dashboards'][0]['id']}")
        cards = {}
        for dc in dashboard["dashcards"]:
            if dc["card_id"] is not None:
                card = admin.get(f"/api/card/{dc['card_id']}")
                cards[by_name[card["name"]]] = card
        yield Applied(cards, columns_by_field_id(admin, db["id"]))


@pytest.fixture(scope="module")
def choice(reporting_url: str) -> dict[str, str]:
    """A gemeente and a quarter from the data itself: the largest gemeente (its district and
    region exist) and the quarter before the latest, so the kwartaal filter visibly matters."""
    with psycopg.connect(reporting_url) as conn:
        gemeente = conn.execute(
            "select gebied_naam from reporting.lokaal_beeld_kwartaal where niveau = 'gemeente' "
            "order by inwoners desc nulls last, gebied_naam limit 1").fetchone()[0]
        periods = [r[0] for r in conn.execute(
            "select distinct periode from reporting.lokaal_beeld_kwartaal order by 1 desc limit 2").fetchall()]
        regio = conn.execute(
            "select gebied_naam from reporting.lokaal_beeld_kwartaal where niveau = 'regio' limit 1").fetchone()[0]
    return {"gemeente": gemeente, "kwartaal": periods[-1], "latest": periods[0], "regio": regio}


def _run(reporter: psycopg.Connection, sql: str) -> tuple[list[str], list[tuple]]:
    with reporter.cursor() as cur:
        cur.execute(sql)
        return [d.name for d in cur.description], cur.fetchall()


@pytest.mark.parametrize("filtered", [False, True], ids=["zonder-filter", "met-filter"])
@pytest.mark.parametrize("key", [c.key for c in SPEC.cards])
def test_every_card_runs_as_the_audience_role(applied: Applied, choice: dict[str, str], reporter: psycopg.Connection,
                                             key: str, filtered: bool) -> None:
    card = applied.cards[key]
    values = {"gemeente": choice["gemeente"], "kwartaal": choice["kwartaal"]} if filtered else {}
    sql = native.render_card(card, values, applied.columns.__getitem__)

    assert "{{" not in sql and "[[" not in sql
    condition = f'"reporting"."lokaal_beeld_kwartaal"."gebied_naam" = {native.quote_literal(choice["gemeente"])}'
    assert (condition in sql) is filtered
    assert (f"periode = '{choice['kwartaal']}'" in sql) is filtered

    columns, rows = _run(reporter, sql)
    assert rows, f"{key} returned no rows"
    for name in COUNT_COLUMNS & set(columns):
        for value in (row[columns.index(name)] for row in rows):
            if isinstance(value, str) and value == UNKNOWN.get(name):
                continue
            if isinstance(value, str):
                assert SHOWN.match(value), f"{key}.{name}: {value!r}"
                value = int(value) if value.isdigit() else None
            assert value is None or value == 0 or value >= 5, f"{key}.{name} shows a small count {value}"

    if "Gebied" in columns and key not in COMPARING:
        gebied = {row[columns.index("Gebied")] for row in rows}
        assert gebied == {choice["gemeente"] if filtered else choice["regio"]}
    if "Kwartaal" in columns:
        kwartalen = {row[columns.index("Kwartaal")] for row in rows}
        assert max(kwartalen) == (choice["kwartaal"] if filtered else choice["latest"])


def test_the_key_figure_card_shows_what_the_reporting_relation_publishes(
        applied: Applied, choice: dict[str, str], reporter: psycopg.Connection) -> None:
    values = {"gemeente": choice["gemeente"], "kwartaal": choice["kwartaal"]}
    columns, rows = _run(reporter, native.render_card(applied.cards["kerncijfer"], values, applied.columns.__getitem__))
    expected = reporter.execute(
        "select aantal_weergave from reporting.lokaal_beeld_kwartaal where niveau = 'gemeente' "
        "and gebied_naam = %s and uitsplitsing = 'totaal' and periode = %s",
        (choice["gemeente"], choice["kwartaal"])).fetchall()
    assert [r[columns.index("Registraties")] for r in rows] == [e[0] for e in expected]


def test_the_trend_card_keeps_hidden_quarters_empty(applied: Applied, choice: dict[str, str],
                                                   reporter: psycopg.Connection) -> None:
    values = {"gemeente": choice["gemeente"], "kwartaal": choice["kwartaal"]}
    columns, rows = _run(reporter, native.render_card(applied.cards["totaal_per_kwartaal"], values,
                                                      applied.columns.__getitem__))
    expected = reporter.execute(
        "select periode, aantal, aantal_weergave from reporting.lokaal_beeld_kwartaal where niveau = 'gemeente' "
        "and gebied_naam = %s and uitsplitsing = 'totaal' and periode <= %s order by periode",
        (choice["gemeente"], choice["kwartaal"])).fetchall()
    assert rows == [tuple(e) for e in expected]


def test_the_comparison_card_shows_gemeente_district_and_region(applied: Applied, choice: dict[str, str],
                                                               reporter: psycopg.Connection) -> None:
    card = applied.cards["per_10000_vergelijking"]
    for values, levels in (({"gemeente": choice["gemeente"]}, {"gemeente", "district", "regio"}), ({}, {"regio"})):
        columns, rows = _run(reporter, native.render_card(card, values, applied.columns.__getitem__))
        shown = {row[columns.index("Gebied")].rsplit("(", 1)[1].rstrip(")") for row in rows}
        assert shown == levels


# card -> (uitsplitsingen it shows, its column with the published count, all quarters up to the chosen one?)
BREAKDOWNS = {
    "verandering_vorig_jaar": (("totaal", "categorie"), "Aantal", False),
    "verdeling_categorie": (("categorie",), "Weergave", True),
    "aangifte_melding": (("registratiesoort",), "Weergave", True),
    "top_modi": (("modus",), "Aantal", False),
    "slachtofferprofiel_leeftijd": (("leeftijdsklasse",), "Weergave", False),
    "soort_slachtoffer": (("slachtoffer_type",), "Aantal", False),
}


@pytest.mark.parametrize("key", sorted(BREAKDOWNS))
def test_breakdown_cards_show_the_chosen_gemeentes_published_cells(
        applied: Applied, choice: dict[str, str], reporter: psycopg.Connection, key: str) -> None:
    uitsplitsingen, column, up_to = BREAKDOWNS[key]
    values = {"gemeente": choice["gemeente"], "kwartaal": choice["kwartaal"]}
    columns, rows = _run(reporter, native.render_card(applied.cards[key], values, applied.columns.__getitem__))
    shown = sorted(row[columns.index(column)] for row in rows)
    expected = sorted(r[0] for r in reporter.execute(
        f"""select aantal_weergave from reporting.lokaal_beeld_kwartaal
            where niveau = 'gemeente' and gebied_naam = %s and uitsplitsing = any(%s)
              and periode {'<=' if up_to else '='} %s
            order by aantal desc nulls last, waarde limit %s""",
        # Only the top-modi card is cut off; every other card must show all its cells.
        (choice["gemeente"], list(uitsplitsingen), choice["kwartaal"], 10 if key == "top_modi" else None)).fetchall())
    assert shown == expected


def test_the_position_card_indexes_gemeente_and_district_against_the_region(
        applied: Applied, choice: dict[str, str], reporter: psycopg.Connection) -> None:
    values = {"gemeente": choice["gemeente"], "kwartaal": choice["kwartaal"]}
    columns, rows = _run(reporter, native.render_card(applied.cards["positie_district_regio"], values,
                                                      applied.columns.__getitem__))
    totaal = {row[columns.index("Gebied")].rsplit("(", 1)[1].rstrip(")"): row for row in rows
              if row[columns.index("Onderdeel")] == "Totaal"}
    assert set(totaal) == {"gemeente", "district", "regio"}
    rate, index = columns.index("Per 10.000 inwoners"), columns.index("Index (regio = 100)")
    assert totaal["regio"][index] == 100
    expected = reporter.execute(
        "select per_10000_inwoners from reporting.lokaal_beeld_kwartaal where niveau = 'gemeente' and gebied_naam = %s"
        " and uitsplitsing = 'totaal' and periode = %s", (choice["gemeente"], choice["kwartaal"])).fetchone()[0]
    assert totaal["gemeente"][rate] == expected
    assert totaal["gemeente"][index] == round(100 * expected / totaal["regio"][rate])


# card -> (relation, uitsplitsingen, its label columns in the card -> in the relation)
PARTNER_CARDS = {
    "schade": ("schade_kwartaal", ("totaal", "categorie", "modus"), {"Schade (euro)": "schade_weergave"}),
    "fraudemeldingen_per_type": ("fraudemeldingen_kwartaal", ("totaal", "fraudetype"),
                                 {"Meldingen": "aantal_weergave", "Gedupeerden": "aantal_gedupeerden_weergave",
                                  "Schade (euro)": "schade_weergave"}),
    "activiteiten_per_doelgroep": ("activiteiten_kwartaal", ("totaal", "doelgroep"),
                                   {"Activiteiten": "aantal_weergave", "Bereik": "bereik_weergave"}),
    "riec_casussen": ("riec_casussen_kwartaal", ("totaal", "fase", "online_component"),
                      {"Casussen": "aantal_weergave"}),
}


@pytest.mark.parametrize("key", sorted(PARTNER_CARDS))
def test_partner_cards_show_the_chosen_gemeentes_published_cells(
        applied: Applied, choice: dict[str, str], reporter: psycopg.Connection, key: str) -> None:
    relation, uitsplitsingen, labels = PARTNER_CARDS[key]
    values = {"gemeente": choice["gemeente"], "kwartaal": choice["kwartaal"]}
    columns, rows = _run(reporter, native.render_card(applied.cards[key], values, applied.columns.__getitem__))
    for card_column, column in labels.items():
        expected = sorted(r[0] for r in reporter.execute(
            f"""select {column} from reporting.{relation} where niveau = 'gemeente' and gebied_naam = %s
                and uitsplitsing = any(%s) and periode = %s""",
            (choice["gemeente"], list(uitsplitsingen), choice["kwartaal"])).fetchall())
        assert sorted(row[columns.index(card_column)] for row in rows) == expected, (key, card_column)
    # The rules keep some amounts and counts of a large gemeente hidden and show others.
    shown = [row[columns.index(c)] for row in rows for c in labels]
    assert any(v not in ("x", "<5", "onbekend") for v in shown), key
