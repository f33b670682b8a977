"""Governance over the whole built warehouse (synthetic deliveries of every feed -> ingest -> dbt):
no personal data where it must not be, nothing small enough to identify anyone in `reporting`."""
from __future__ import annotations

import csv
import io

import psycopg
import pytest

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


# Integer columns that are not counts of people or cases, each documented in its model's YAML:
# the number of quarters a year covers, and what gemeenten did (activities are the municipality's
# own work, published as delivered; see reporting/_reporting__models.yml).
NOT_PERSON_COUNTS = {("interventie_fit", "kwartalen")} | {
    ("interventie_fit", c) for c in ("activiteiten", "activiteiten_senioren", "activiteiten_jongeren",
                                     "activiteiten_ondernemers")}
# The deliveries relation counts files, rows and days of the platform's own audit trail, no persons.
NOT_PERSON_COUNTS |= {("leveringen", c) for c in (
    "leveringen", "geladen", "in_quarantaine", "dubbel", "regels_ontvangen", "regels_geladen", "regels_afgekeurd",
    "dagen_te_laat", "versheid_waarschuwing_na_dagen", "versheid_fout_na_dagen")}


def test_no_reporting_relation_shows_a_count_between_1_and_4(built_warehouse_url):
    with psycopg.connect(built_warehouse_url) as conn:
        conn.execute("set role reporter_regio")
        relations = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'reporting'").fetchall()
        assert relations
        small = []
        for (relation,) in relations:
            columns = [c for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'reporting'"
                " and table_name = %s and data_type in ('integer', 'bigint', 'smallint')"
                " and column_name not in ('jaar', 'kwartaal', 'maand', 'doel')", (relation,))]
            for column in columns:
                if (relation, column) in NOT_PERSON_COUNTS:
                    continue
                n = conn.execute(f'select count(*) from reporting."{relation}" where "{column}" between 1 and 4'
                                 ).fetchone()[0]
                if n:
                    small.append((relation, column, n))
    assert small == []


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
