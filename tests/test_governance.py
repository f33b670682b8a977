"""Governance over the whole built warehouse (synthetic deliveries of every feed -> ingest -> dbt):
no personal data where it must not be, nothing small enough to identify anyone in `reporting`."""
from __future__ import annotations

import csv
import io

import psycopg
import pytest
import yaml

from config import DBT_PROJECT_DIR
from synthetic import build_deliveries
from tests.ingest.helpers import all_text_in_warehouse


@pytest.fixture(scope="module")
def police_source_values() -> dict[str, set[str]]:
    """The identifiers and free texts the partners sent (same seed and period as the fixture)."""
    (batch,) = build_deliveries(start="2025-01", end="2026-09", seed=7, feeds=["politie_registraties"])
    ids, texts = set(), set()
    for _, data in batch:
        for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"):
            ids.add(row["registratienummer"])
            if len(row["omschrijving"]) > 12:
                texts.add(row["omschrijving"])
    return {"ids": ids, "texts": texts}


def test_no_identifier_free_text_or_exact_age_in_any_table(built_warehouse_url, police_source_values):
    everything = all_text_in_warehouse(built_warehouse_url)
    assert police_source_values["ids"] and police_source_values["texts"]
    assert not [i for i in list(police_source_values["ids"])[:5000] if i in everything]
    assert not [t for t in police_source_values["texts"] if t in everything]
    with psycopg.connect(built_warehouse_url) as conn:
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema not in ('pg_catalog', 'information_schema')"
            " and (column_name in ('omschrijving', 'registratienummer', 'parketnummer', 'casusnummer')"
            "      or column_name ~ 'leeftijd$')").fetchall()
    assert columns == []


NUMERIC_TYPES = ("smallint", "integer", "bigint", "numeric", "real", "double precision")


def disclosure_exceptions() -> dict[tuple[str, str], dict]:
    """The one list of numeric reporting columns that are not counts (dbt_project/disclosure_exceptions.yml)."""
    document = yaml.safe_load((DBT_PROJECT_DIR / "disclosure_exceptions.yml").read_text(encoding="utf-8"))
    listed = {(e["relation"], e["column"]): e for e in document["exceptions"]}
    assert len(listed) == len(document["exceptions"]), "a column is listed twice"
    return listed


def numeric_reporting_columns(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'reporting'"
        " and data_type = any(%s) order by 1, 2", (list(NUMERIC_TYPES),)).fetchall()


def test_every_numeric_reporting_column_is_a_disclosed_count_or_a_listed_exception(built_warehouse_url):
    """Every numeric column of every reporting relation, whatever its type: a count shows no 1-4
    (read as the region's reporter, through row-level security), or the column is in the one list
    of exceptions with why. Nothing listed is stale, nothing listed lacks a reason."""
    exceptions = disclosure_exceptions()
    assert all(e.get("why") and e.get("kind") for e in exceptions.values())
    with psycopg.connect(built_warehouse_url) as conn:
        conn.execute("set role reporter_regio")
        columns = numeric_reporting_columns(conn)
        assert columns
        relations = {r for r, _ in columns}
        used: set[tuple[str, str]] = set()
        small, checked = [], []
        for relation, column in columns:
            listed = next((k for k in ((relation, column), ("*", column)) if k in exceptions), None)
            if listed:
                used.add(listed)
                continue
            checked.append((relation, column))
            n = conn.execute(f'select count(*) from reporting."{relation}" where "{column}" between 1 and 4'
                             ).fetchone()[0]
            if n:
                small.append((relation, column, n))
    assert small == []
    stale = [k for k in exceptions if k not in used or (k[0] != "*" and k[0] not in relations)]
    assert stale == []
    # Activities are counts like every other: held to the rule in every relation that shows them.
    assert {("interventie_fit", "activiteiten"), ("interventie_fit", "bereik_senioren"),
            ("activiteiten_kwartaal", "aantal"), ("activiteiten_kwartaal", "bereik")} <= set(checked)


def test_no_hidden_activity_quarter_follows_from_a_published_year(built_warehouse_url):
    """A year of activities (or reach) in interventie_fit is the sum of its quarters in
    activiteiten_kwartaal: shown while exactly one of those quarters is hidden, it would give that
    quarter away as the year minus the shown ones."""
    with psycopg.connect(built_warehouse_url) as conn:
        conn.execute("set role reporter_regio")
        leaks, years_with_one_hidden = conn.execute("""
            with kwartalen as (
                select niveau, gebied_code, jaar,
                       case when uitsplitsing = 'totaal' then 'totaal' else waarde end as groep,
                       count(*) filter (where onderdrukt) as verborgen,
                       count(*) filter (where bereik_onderdrukt) as bereik_verborgen
                from reporting.activiteiten_kwartaal
                where uitsplitsing = 'totaal'
                   or (uitsplitsing = 'doelgroep' and waarde in ('senioren', 'jongeren', 'ondernemers'))
                group by 1, 2, 3, 4
            ),
            jaren as (
                select f.niveau, f.gebied_code, f.jaar, v.groep, v.activiteiten, v.bereik
                from reporting.interventie_fit as f
                cross join lateral (values
                    ('totaal', f.activiteiten, f.bereik),
                    ('senioren', f.activiteiten_senioren, f.bereik_senioren),
                    ('jongeren', f.activiteiten_jongeren, f.bereik_jongeren),
                    ('ondernemers', f.activiteiten_ondernemers, f.bereik_ondernemers)
                ) as v (groep, activiteiten, bereik)
            )
            select count(*) filter (where (k.verborgen = 1 and j.activiteiten is not null)
                                       or (k.bereik_verborgen = 1 and j.bereik is not null)),
                   count(*) filter (where k.verborgen = 1)
            from jaren as j join kwartalen as k using (niveau, gebied_code, jaar, groep)""").fetchone()
    assert years_with_one_hidden > 0  # there was something to give away
    assert leaks == 0


def test_reporter_reads_only_reporting(built_warehouse_url):
    with psycopg.connect(built_warehouse_url, autocommit=True) as conn:
        conn.execute("set role reporter_regio")
        for relation in ("raw.politie_registraties", "marts.fct_registraties", "audit.deliveries"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {relation} limit 1")
        assert conn.execute("select count(*) from reporting.lokaal_beeld_kwartaal").fetchone()[0] > 0


def test_no_reporting_relation_has_counts_below_gemeente_level(built_warehouse_url):
    """The disclosure rule rounds wijk-level counts to 5; no reporting relation has any (the wijk
    stays in the marts, for analysts). A relation that adds a wijk or buurt must implement the
    rounding first, and this test is where that is noticed."""
    with psycopg.connect(built_warehouse_url) as conn:
        below = conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'reporting'"
            " and (column_name ~ '^(wijk|buurt)' or column_name ~ '_(wijk|buurt)')").fetchall()
        values = conn.execute(
            "select count(*) from reporting.lokaal_beeld_kwartaal where gebied_code ~ '^(WK|BU)[0-9]'").fetchone()[0]
        in_marts = conn.execute(
            "select count(*) from information_schema.columns where table_schema = 'marts' and column_name = 'wijkcode'"
        ).fetchone()[0]
    assert below == [] and values == 0
    # The check looks where wijk codes would come from: the registrations mart has them.
    assert in_marts == 1
