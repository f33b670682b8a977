"""Messages never quote data: reasons, partner reports, logs and what a DAG pushes as XCom name
columns from the contract, line numbers and rules, never a value from the file.

Each file below carries values no message of ours could contain by chance (MARKER...), in the
places where a careless message would pick them up: a missing header (the first data line read as
column names), unknown and duplicated column names, bad enumerations, dates, numbers, codes, a
JSON file-level field, a spreadsheet without the agreed sheet.

`audit.rejected_rows.record` is the rejected row as it may be stored (identifiers pseudonymised,
ages banded, never-store text dropped; see ingest/steps/pseudonymise.py): it keeps the other
columns' values as delivered, by design, so that a row can be judged and corrected. It is checked
here for what must never be there (identifiers, free text), its reasons for any value at all.
"""
from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import psycopg
from openpyxl import Workbook

from ingest.landing import LocalLandingZone
from ingest.pipeline import ingest_landing
from tests.ingest.helpers import HEADER, csv_bytes, row, valid_rows

M = "MARKERQX"  # in every distinctive value


def police_files() -> dict[str, bytes]:
    ident = f"PL0900-{M}01"
    headerless = csv_bytes([row(1, registratienummer=ident, omschrijving=f"{M} vrije tekst kop")] + valid_rows(3, 2))
    headerless = headerless.split(b"\n", 1)[1]  # the header row is missing
    bad_values = csv_bytes(valid_rows(400) + [
        row(401, modus=f"{M}modus"), row(402, registratiedatum=f"31-02-{M}"), row(403, schadebedrag=f"12{M}"),
        row(404, pleeggemeente=f"GM{M}"), row(405, wijk=f"WK{M}"), row(406, soort_misdrijf=f"{M}3.9"),
        row(407, slachtoffer_type=f"{M}type"), row(408, registratiesoort=f"{M}soort"),
        row(409, slachtoffer_leeftijd=f"{M}9"), row(410, registratienummer=f"PL0900-{M}02"),
        row(411, registratienummer=f"PL0900-{M}02"), row(412, pleegdatum="05-01-2026", registratiedatum="04-01-2026"),
    ])
    unknown_columns = csv_bytes(valid_rows(3), header=[*HEADER, f"{M}kolom"])
    renamed = csv_bytes(valid_rows(3), header=[f"{M}{h}" if h == "modus" else h for h in HEADER])
    duplicated = csv_bytes(valid_rows(3), header=[*HEADER, f"{M}dubbel", f"{M}dubbel"])
    too_many_bad = csv_bytes(valid_rows(2) + [row(10 + i, modus=f"{M}veel{i}") for i in range(5)])
    return {
        "registraties_online_202601.csv": headerless,
        "registraties_online_202602.csv": bad_values.replace(b"-01-2026", b"-02-2026"),
        "registraties_online_202603.csv": unknown_columns.replace(b"-01-2026", b"-03-2026"),
        "registraties_online_202604.csv": renamed,
        "registraties_online_202605.csv": duplicated,
        "registraties_online_202606.csv": too_many_bad,
    }


def fraud_file() -> bytes:
    record = {"gemeente": f"GM{M}", "fraudetype": f"{M}fraude", "meldingen": f"{M}", "gedupeerden": 1,
              "schade_eur": f"{M}eur"}
    return json.dumps({"partner": f"bank-{M}", "periode": f"2026-{M}", "records": [record]}).encode()


def riec_file() -> bytes:
    book = Workbook()
    book.active.title = f"Tabblad{M}"
    book.active.append([f"{M}kop", "b"])
    book.active.append([f"{M}waarde", "c"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_no_value_of_a_file_reaches_a_reason_report_log_or_xcom(fresh_warehouse_url, pseudonym_key,
                                                                 tmp_path: Path, caplog, capsys):
    zone = LocalLandingZone(tmp_path / "store")
    for name, data in police_files().items():
        zone.put("politie/registraties/" + name, data)
    zone.put("partners/bank-a/fraudemeldingen/fraudemeldingen_202601.json", fraud_file())
    zone.put("riec/casussen/riec_casussen_20260131.xlsx", riec_file())

    caplog.set_level(logging.DEBUG)
    results = ingest_landing(zone, fresh_warehouse_url)
    statuses = {r.file.rsplit("/", 1)[1]: r.status for r in results}
    assert statuses == {
        "registraties_online_202601.csv": "quarantined", "registraties_online_202602.csv": "loaded",
        "registraties_online_202603.csv": "loaded", "registraties_online_202604.csv": "quarantined",
        "registraties_online_202605.csv": "quarantined", "registraties_online_202606.csv": "quarantined",
        "fraudemeldingen_202601.json": "quarantined", "riec_casussen_20260131.xlsx": "quarantined"}, results
    loaded = next(r for r in results if r.file.endswith("202602.csv"))
    assert loaded.rows_rejected == 12  # every bad value above was seen, and named without its value
    for r in results:
        print(r.summary_line())  # what the DAG logs ...
    xcom = json.dumps([r.as_dict() for r in results], ensure_ascii=False)  # ... and pushes as XCom

    reports = "\n".join(p.read_text() for p in (tmp_path / "store").rglob("*.rapport.txt"))
    assert reports.count("Leveringsrapport") == 8
    with psycopg.connect(fresh_warehouse_url) as conn:
        reasons = conn.execute("select string_agg(reasons::text, ' ') from audit.deliveries").fetchone()[0]
        rejected_reasons, records = conn.execute(
            "select string_agg(array_to_string(reasons, ' '), ' '), string_agg(record::text, ' ')"
            " from audit.rejected_rows").fetchone()
        events = conn.execute("select string_agg(detail::text, ' ') from audit.events").fetchone()[0]
    assert rejected_reasons and "modus: geen toegestane waarde" in rejected_reasons
    assert "Verplichte kolom ontbreekt" in reasons and "staat twee keer in de kopregel" in reasons

    captured = capsys.readouterr()
    places = {"audit.deliveries.reasons": reasons, "audit.rejected_rows.reasons": rejected_reasons,
              "audit.events.detail": events, "reports": reports, "xcom": xcom,
              "log": caplog.text + captured.out + captured.err}
    assert {where: text.count(M) for where, text in places.items() if M in text} == {}
    # The stored rejected rows keep non-personal columns as delivered (by design), never an
    # identifier or free text.
    assert f"PL0900-{M}" not in records and "vrije tekst" not in records and f"{M}9" not in records
