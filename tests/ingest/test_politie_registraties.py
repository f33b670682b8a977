"""Every rule of docs/sources/feeds/politie_registraties.md and of the general feed rules, one by one,
through the real pipeline into a real Postgres."""
from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ingest.landing import LocalLandingZone
from ingest.sealing import unseal
from tests.conftest import ARCHIVE_KEY
from tests.ingest.helpers import (
    HEADER,
    SECRET_TEXT,
    all_text_in_warehouse,
    archive_files,
    csv_bytes,
    current_rows,
    deliver,
    expected_pseudonym,
    rejected,
    row,
    run,
    valid_rows,
)

NAME = "registraties_online_202601.csv"


@pytest.fixture()
def zone(tmp_path: Path) -> LocalLandingZone:
    return LocalLandingZone(tmp_path / "store")


@pytest.fixture()
def url(fresh_warehouse_url: str, pseudonym_key: bytes) -> str:
    return fresh_warehouse_url


def one(zone, url, rows, name=NAME, **kw):
    deliver(zone, name, csv_bytes(rows, **kw))
    (result,) = run(zone, url)
    return result


# -- a valid delivery -------------------------------------------------------------------------

def test_valid_file_loads_every_row_typed_and_pseudonymised(zone, url, pseudonym_key):
    rows = valid_rows(20) + [row(99, pleegdatum="", pleeggemeente="", wijk="", slachtoffer_leeftijd="",
                                 schadebedrag="", incidentcode="", registratiesoort="melding")]
    result = one(zone, url, rows)
    assert (result.status, result.rows_received, result.rows_loaded, result.rows_rejected) == ("loaded", 21, 21, 0)
    assert result.period == "2026-01"
    stored = current_rows(url)
    assert len(stored) == 21
    first = stored[0]
    assert first["registratienummer_pseudoniem"] == expected_pseudonym(pseudonym_key, "PL0900-2026000001")
    assert first["registratiedatum"] == date(2026, 1, 3) and first["pleegdatum"] == date(2025, 12, 29)
    assert first["soort_misdrijf"] == "3.9.1"  # trailing space of the export removed
    assert first["schadebedrag"] == Decimal("250.00")
    assert first["slachtoffer_leeftijdsklasse"] == "25-44"
    assert "omschrijving" not in first and "slachtoffer_leeftijd" not in first
    last = stored[-1]
    assert last["pleeggemeente"] is None  # unknown gemeente is kept, not dropped
    assert last["slachtoffer_leeftijdsklasse"] == "onbekend" and last["schadebedrag"] is None


def test_header_is_case_insensitive_and_order_free(zone, url):
    header = list(reversed([h.upper() for h in HEADER]))
    result = one(zone, url, valid_rows(5), header=header)
    assert (result.status, result.rows_loaded) == ("loaded", 5)
    assert current_rows(url)[0]["modus"] == "marktplaatsfraude"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_bom_and_windows_1252_are_read(zone, url, encoding):
    rows = valid_rows(3, omschrijving="Café in Súdwest, Wijk bij Duurstede")
    result = one(zone, url, rows, encoding=encoding)
    assert (result.status, result.rows_loaded) == ("loaded", 3)
    if encoding == "cp1252":
        assert any("Windows-1252" in r for r in result.reasons)


def test_age_is_banded_and_never_stored(zone, url):
    ages = {"0": "0-17", "17": "0-17", "18": "18-24", "24": "18-24", "25": "25-44", "44": "25-44",
            "45": "45-64", "64": "45-64", "65": "65+", "110": "65+"}
    rows = [row(i, slachtoffer_leeftijd=a) for i, a in enumerate(ages, start=1)]
    one(zone, url, rows)
    bands = [r["slachtoffer_leeftijdsklasse"] for r in current_rows(url)]
    assert bands == list(ages.values())


@pytest.mark.parametrize("code,expected", [("GM0344", "GM0344"), ("0344", "GM0344"), ("344", "GM0344"),
                                           ("gm0307", "GM0307"), ("GM0381", "GM1942"), ("0620", "GM1961")])
def test_gemeente_code_variants_and_merged_codes(zone, url, code, expected):
    wijk = "WK" + expected[2:] + "01"
    one(zone, url, valid_rows(2, pleeggemeente=code, wijk=wijk))
    assert {r["pleeggemeente"] for r in current_rows(url)} == {expected}


def test_dutch_amounts_with_thousands_separator(zone, url):
    one(zone, url, [row(1, schadebedrag="1.234,56"), row(2, schadebedrag="17000"), row(3, schadebedrag="0,5")])
    assert [r["schadebedrag"] for r in current_rows(url)] == [Decimal("1234.56"), Decimal("17000.00"), Decimal("0.50")]


def test_amounts_with_more_than_two_decimals_round_as_postgresql_rounds_their_text(zone, url):
    # Written in binary, the amounts are rounded by us: half away from zero on the decimal text,
    # as numeric(14,2) rounds it (1,005 is 1.00499... as a float, 0,125 a tie).
    one(zone, url, [row(1, schadebedrag="1,005"), row(2, schadebedrag="0,125"), row(3, schadebedrag="2.345,675")])
    with psycopg.connect(url) as conn:
        expected = [v for (v,) in conn.execute("select x::numeric(14,2) from unnest(array['1.005', '0.125',"
                                               " '2345.675']) as x")]
    assert [r["schadebedrag"] for r in current_rows(url)] == expected == [Decimal("1.01"), Decimal("0.13"),
                                                                         Decimal("2345.68")]


def test_iso_dates_are_accepted(zone, url):
    one(zone, url, [row(1, registratiedatum="2026-01-31", pleegdatum="2026-01-30")])
    assert current_rows(url)[0]["registratiedatum"] == date(2026, 1, 31)


# -- row-level rules: the row is rejected with a clear reason, the rest loads ---------------

BAD_ROWS = {
    "unknown gemeente": (dict(pleeggemeente="GM9999", wijk=""), "pleeggemeente: onbekende gemeentecode (geen gemeente"),
    "not a gemeente code": (dict(pleeggemeente="Utrecht", wijk=""), "geen gemeentecode"),
    "weesp left the unit": (dict(pleeggemeente="GM0457", wijk=""), "buiten politie-eenheid Midden-Nederland"),
    "invalid date": (dict(registratiedatum="31-02-2026"), "registratiedatum: geen geldige datum"),
    "date outside month": (dict(registratiedatum="01-02-2026", pleegdatum=""), "valt niet in de periode"),
    "pleegdatum after registratiedatum": (dict(pleegdatum="05-01-2026"),
                                          "pleegdatum: ligt na registratiedatum"),
    "wijk not in gemeente": (dict(wijk="WK030701"), "wijk: de wijk ligt niet in pleeggemeente"),
    "malformed wijk": (dict(wijk="WK12"), "geen wijkcode"),
    "invalid crime code": (dict(soort_misdrijf="cyber"), "soort_misdrijf: niet de juiste vorm"),
    "missing crime code": (dict(soort_misdrijf=""), "soort_misdrijf: verplicht veld is leeg"),
    "invalid modus": (dict(modus="oplichting"), "modus: geen toegestane waarde"),
    "missing modus": (dict(modus=""), "modus: verplicht veld is leeg"),
    "invalid registratiesoort": (dict(registratiesoort="klacht"),
                                 "registratiesoort: geen toegestane waarde"),
    "invalid slachtoffer_type": (dict(slachtoffer_type="kind"), "slachtoffer_type: geen toegestane waarde"),
    "age too high": (dict(slachtoffer_leeftijd="130"), "slachtoffer_leeftijd: moet tussen 0 en 110 liggen"),
    "age negative": (dict(slachtoffer_leeftijd="-1"), "slachtoffer_leeftijd: moet tussen 0 en 110 liggen"),
    "age not a number": (dict(slachtoffer_leeftijd="abc"), "slachtoffer_leeftijd: geen geheel getal"),
    "negative damage": (dict(schadebedrag="-5,00"), "schadebedrag: moet minimaal 0 liggen"),
    "malformed damage": (dict(schadebedrag="12.34"), "schadebedrag: geen geldig getal"),
    "missing registratienummer": (dict(registratienummer=""), "registratienummer: verplicht veld is leeg"),
    "missing registratiedatum": (dict(registratiedatum=""), "registratiedatum: verplicht veld is leeg"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_is_rejected_with_a_clear_reason(zone, url, case):
    overrides, reason = BAD_ROWS[case]
    rows = valid_rows(40) + [row(500, **overrides)]  # the bad row is on line 42 (header is line 1)
    result = one(zone, url, rows)
    assert (result.status, result.rows_received, result.rows_loaded, result.rows_rejected) == ("loaded", 41, 40, 1)
    assert any(reason in r and "regel 42" in r for r in result.reasons), result.reasons
    stored_reasons = rejected(url, result.delivery_id)
    assert list(stored_reasons) == [42]
    assert any(reason in r for r in stored_reasons[42])
    assert len(current_rows(url)) == 40
    # The delivery report next to the archived original says the same, in Dutch.
    report = Path(result.report_key).read_text(encoding="utf-8")
    assert "regel 42" in report and reason in report


def test_exact_age_never_appears_in_a_reason(zone, url):
    result = one(zone, url, valid_rows(30) + [row(77, slachtoffer_leeftijd="131")])
    assert result.rows_rejected == 1
    assert not any("131" in r for r in result.reasons)
    assert "131" not in Path(result.report_key).read_text(encoding="utf-8")


def test_duplicate_registratienummer_rejects_every_occurrence(zone, url):
    rows = valid_rows(100) + [row(7), row(8)]
    result = one(zone, url, rows)
    assert (result.rows_received, result.rows_loaded, result.rows_rejected) == (102, 98, 4)
    assert set(rejected(url, result.delivery_id)) == {8, 9, 102, 103}


def test_row_with_wrong_number_of_fields_is_rejected_alone(zone, url):
    data = csv_bytes(valid_rows(30)) + b"PL0900-2026999999;03-01-2026;extra\n"
    deliver(zone, NAME, data)
    (result,) = run(zone, url)
    assert (result.status, result.rows_received, result.rows_loaded, result.rows_rejected) == ("loaded", 31, 30, 1)
    assert "regel 32" in " ".join(result.reasons) and "velden" in " ".join(result.reasons)


def test_more_than_tolerance_bad_rows_quarantines_the_whole_file(zone, url, tmp_path):
    rows = valid_rows(18) + [row(100 + i, modus="onbekend") for i in range(2)]  # 10% bad
    result = one(zone, url, rows)
    assert (result.status, result.rows_received, result.rows_loaded, result.rows_rejected) == ("quarantined", 20, 0, 20)
    assert "meer dan de toegestane 5%" in result.reasons[0]
    assert current_rows(url) == []
    assert len(rejected(url, result.delivery_id)) == 2  # the failing rows are kept with their reason
    assert archive_files(tmp_path / "store", "quarantine")


# -- whole-file problems: quarantine with a partner-readable report ---------------------------

WHOLE_FILE = {
    "empty file": (b"", "Het bestand is leeg"),
    "header only": (csv_bytes([]), "alleen een kopregel"),
    "missing required column": (csv_bytes(valid_rows(3), header=[h for h in HEADER if h != "modus"]),
                                "Verplichte kolom ontbreekt in de kopregel (regel 1): 'modus'"),
    "excel instead of csv": (b"PK\x03\x04" + b"\x00" * 200, "geen tekstbestand"),
    "wrong delimiter": (csv_bytes(valid_rows(3), delimiter=","), "niet gescheiden met ';' maar ','"),
    "undecodable bytes": (csv_bytes(valid_rows(3)).replace(b"aangifte", b"aan\x81\x8d\x90gifte"),
                          "niet als UTF-8 of Windows-1252 te lezen"),
    "duplicate column": (csv_bytes(valid_rows(2), header=HEADER + ["modus"]), "staat twee keer in de kopregel"),
}


@pytest.mark.parametrize("case", sorted(WHOLE_FILE))
def test_unreadable_file_is_quarantined_whole_with_a_dutch_report(zone, url, tmp_path, case):
    data, reason = WHOLE_FILE[case]
    deliver(zone, NAME, data)
    (result,) = run(zone, url)
    assert result.status == "quarantined" and result.rows_loaded == 0
    assert reason in result.reasons[0], result.reasons
    kept = [p for p in archive_files(tmp_path / "store", "quarantine") if not p.name.endswith(".rapport.txt")]
    # The original, byte for byte, once opened with the archive key (it is kept sealed).
    assert [unseal(p.read_bytes(), ARCHIVE_KEY, result.delivery_id) for p in kept] == [data]
    report = Path(result.report_key).read_text(encoding="utf-8")
    assert "GEWEIGERD" in report and reason in report and "docs/feeds/politie_registraties.md" in report
    assert current_rows(url) == []
    assert not zone.waiting()
    if case in ("missing required column", "wrong delimiter", "duplicate column"):
        rows = 2 if case == "duplicate column" else 3
        assert (result.rows_received, result.rows_rejected) == (rows, rows)  # the refused rows are counted


def test_wrong_file_name_is_quarantined(zone, url):
    result = one(zone, url, valid_rows(3), name="registraties_januari.csv")
    assert result.status == "quarantined"
    assert "registraties_online_JJJJMM.csv" in result.reasons[0]


def test_file_outside_any_feed_prefix_is_quarantined(zone, url):
    deliver(zone, "iets.csv", csv_bytes(valid_rows(2)), prefix="onbekend/")
    (result,) = run(zone, url)
    assert (result.status, result.feed) == ("quarantined", "onbekend")


# -- idempotence, redelivery, nothing lost -----------------------------------------------------

def test_same_bytes_twice_is_loaded_once(zone, url, tmp_path):
    data = csv_bytes(valid_rows(10))
    deliver(zone, NAME, data)
    (first,) = run(zone, url)
    deliver(zone, NAME, data)
    (second,) = run(zone, url)
    assert (first.status, second.status) == ("loaded", "duplicate")
    assert str(first.delivery_id) in second.reasons[0]
    assert len(current_rows(url)) == 10
    originals = [p for p in archive_files(tmp_path / "store", "archive") if not p.name.endswith(".txt")]
    # Both kept sealed (`<delivery id>__<name>.sealed`), each the original once opened.
    assert len(originals) == 2
    assert all(unseal(p.read_bytes(), ARCHIVE_KEY, int(p.name.split("__", 1)[0])) == data for p in originals)


def test_redelivered_month_replaces_and_keeps_history(zone, url):
    first = one(zone, url, valid_rows(10))
    second = one(zone, url, valid_rows(7, start=200))
    assert second.status == "loaded"
    assert len(current_rows(url)) == 7
    with psycopg.connect(url) as conn:
        history = conn.execute(
            "select delivery_id, is_current, superseded_by from audit.deliveries order by delivery_id").fetchall()
        all_rows = conn.execute(
            "select delivery_id, count(*) from raw.politie_registraties group by 1 order by 1").fetchall()
    assert history == [(first.delivery_id, False, second.delivery_id), (second.delivery_id, True, None)]
    assert all_rows == [(first.delivery_id, 10), (second.delivery_id, 7)]  # the earlier version stays


def test_other_months_are_not_touched_by_a_redelivery(zone, url):
    one(zone, url, valid_rows(5))
    one(zone, url, valid_rows(4, registratiedatum="03-02-2026", pleegdatum=""), name="registraties_online_202602.csv")
    one(zone, url, valid_rows(3, start=300))
    months = sorted(r["registratiedatum"].month for r in current_rows(url))
    assert months == [1, 1, 1, 2, 2, 2, 2]


def test_archived_original_matches_the_audited_checksum(zone, url):
    data = csv_bytes(valid_rows(4))
    deliver(zone, NAME, data)
    (result,) = run(zone, url)
    with psycopg.connect(url) as conn:
        sha, stored = conn.execute("select sha256, stored_key from audit.deliveries where delivery_id = %s",
                                   (result.delivery_id,)).fetchone()
    original = unseal(Path(stored).read_bytes(), ARCHIVE_KEY, result.delivery_id)
    assert hashlib.sha256(original).hexdigest() == sha == hashlib.sha256(data).hexdigest()


def test_audit_trail_records_every_step(zone, url):
    result = one(zone, url, valid_rows(3))
    with psycopg.connect(url) as conn:
        events = [e for (e,) in conn.execute(
            "select event from audit.events where delivery_id = %s order by event_id", (result.delivery_id,))]
        who = conn.execute("select processed_by from audit.deliveries where delivery_id = %s",
                           (result.delivery_id,)).fetchone()[0]
    assert events == ["received", "validated", "written", "audited", "loaded", "published", "stored"]
    assert who == "loader"


# -- personal data never reaches the warehouse --------------------------------------------------

def test_no_raw_identifier_free_text_or_exact_age_anywhere(zone, url):
    rows = valid_rows(30, slachtoffer_leeftijd="87") + [row(900, modus="fout", slachtoffer_leeftijd="88")]
    one(zone, url, rows)
    everything = all_text_in_warehouse(url)
    assert "PL0900-2026" not in everything
    assert SECRET_TEXT not in everything and "NL91ABNA" not in everything
    # The exact ages (87 and 88) appear nowhere as a value of their own (hex pseudonyms may contain the digits).
    assert not re.search(r"(?<![\w.:-])8[78](?![\w.:-])", everything)
    assert "65+" in everything


def test_raw_tables_are_written_by_the_loader_role_only(url):
    with psycopg.connect(url) as conn:
        conn.execute("set role reporter_regio")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from raw.politie_registraties")


def test_large_delivery_uses_the_worker_and_gives_the_same_pseudonyms(zone, url, pseudonym_key, tmp_path):
    """Above PARALLEL_FROM rows the hashing runs in a worker process, streamed in batches; the
    pseudonyms must be exactly those of the in-process path, row for row."""
    import csv
    import io

    from ingest.pseudonymise import PARALLEL_FROM
    from synthetic import write_police_bench_file

    rows = PARALLEL_FROM + 12_345
    path = write_police_bench_file(tmp_path / NAME, rows=rows, seed=5)
    data = path.read_bytes()
    deliver(zone, NAME, data)
    (result,) = run(zone, url)
    assert (result.status, result.rows_loaded) == ("loaded", rows)
    source = list(csv.DictReader(io.StringIO(data.decode("utf-8")), delimiter=";"))
    with psycopg.connect(url) as conn:
        stored = dict(conn.execute("select line_number, registratienummer_pseudoniem from raw.politie_registraties"))
    for i in (0, 1, 49_999, 50_000, 50_001, rows - 1):
        assert stored[i + 2] == expected_pseudonym(pseudonym_key, source[i]["registratienummer"].strip())


def _standalone_raw_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'raw' and c.relkind = 'r' and not c.relispartition")]


def test_large_refused_delivery_leaves_no_table_behind(zone, url, tmp_path):
    """A large delivery is written over two connections into a table outside the publishing
    transaction; when the file is refused (here: too many bad rows), that table must go."""
    from ingest.load import PARALLEL_COPY_FROM

    rows = valid_rows(PARALLEL_COPY_FROM + 1_000)
    for r in rows[: len(rows) // 10]:
        r["modus"] = "onbekend"
    deliver(zone, NAME, csv_bytes(rows))
    (result,) = run(zone, url)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("quarantined", 0, len(rows))
    assert _standalone_raw_tables(url) == []
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from raw.politie_registraties").fetchone()[0] == 0


def test_a_table_left_by_a_crashed_load_is_swept_before_the_next_load(zone, url):
    """A loader that dies between writing and publishing leaves an unattached table; the next
    load of the feed (holding the feed's lock) removes it, and published partitions stay."""
    one(zone, url, valid_rows(3))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set role loader")
        conn.execute("create table raw.politie_registraties_d999999 (like raw.politie_registraties)")
    assert _standalone_raw_tables(url) == ["politie_registraties_d999999"]
    deliver(zone, "registraties_online_202602.csv", csv_bytes(valid_rows(4, registratiedatum="03-02-2026",
                                                                         pleegdatum="01-02-2026")))
    (result,) = run(zone, url)
    assert result.status == "loaded", result.reasons
    assert _standalone_raw_tables(url) == []
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from raw.politie_registraties").fetchone()[0] == 7
