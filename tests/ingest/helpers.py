"""Small, explicit police files for rule-by-rule tests (the generator makes the big ones)."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
from pathlib import Path

import psycopg

from ingest.landing import LocalLandingZone
from ingest.pipeline import DeliveryResult, ingest_landing

HEADER = ["registratienummer", "registratiedatum", "pleegdatum", "pleeggemeente", "wijk", "soort_misdrijf",
          "incidentcode", "modus", "registratiesoort", "slachtoffer_type", "slachtoffer_leeftijd",
          "schadebedrag", "omschrijving"]
SECRET_TEXT = "Jan Jansen 06-12345678 NL91ABNA0417164300"


def row(n: int, **overrides: str) -> dict[str, str]:
    base = {
        "registratienummer": f"PL0900-2026{n:06d}", "registratiedatum": "03-01-2026", "pleegdatum": "29-12-2025",
        "pleeggemeente": "GM0344", "wijk": "WK034405", "soort_misdrijf": "3.9.1 ", "incidentcode": "F636",
        "modus": "marktplaatsfraude", "registratiesoort": "aangifte", "slachtoffer_type": "burger",
        "slachtoffer_leeftijd": "34", "schadebedrag": "250,00", "omschrijving": f"{SECRET_TEXT} rij {n}",
    }
    base.update(overrides)
    return base


def csv_bytes(rows: list[dict[str, str]], header: list[str] | None = None, encoding: str = "utf-8",
              delimiter: str = ";") -> bytes:
    header = header or HEADER
    lines = [delimiter.join(header)]
    for r in rows:
        lines.append(delimiter.join(r.get(h.lower().strip(), "") for h in header))
    return ("\n".join(lines) + "\n").encode(encoding)


def valid_rows(count: int, start: int = 1, **overrides: str) -> list[dict[str, str]]:
    return [row(start + i, **overrides) for i in range(count)]


def deliver(zone: LocalLandingZone, name: str, data: bytes, prefix: str = "politie/registraties/") -> str:
    key = prefix + name
    zone.put(key, data)
    return key


def run(zone: LocalLandingZone, url: str) -> list[DeliveryResult]:
    results = ingest_landing(zone, url)
    for r in results:
        assert r.rows_received == r.rows_loaded + r.rows_rejected, r
    return results


def expected_pseudonym(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def current_rows(url: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            "select r.* from raw.politie_registraties r join audit.deliveries d using (delivery_id)"
            " where d.is_current order by r.line_number")
        names = [c.name for c in cur.description]
        return [dict(zip(names, rec)) for rec in cur]


def rejected(url: str, delivery_id: int) -> dict[int, list[str]]:
    with psycopg.connect(url) as conn:
        return {line: reasons for line, reasons in conn.execute(
            "select line_number, reasons from audit.rejected_rows where delivery_id = %s", (delivery_id,))}


def all_text_in_warehouse(url: str) -> str:
    """Every text value of every table in the warehouse's own schemas, concatenated."""
    chunks = []
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in"
            " ('raw','staging','intermediate','marts','reporting','audit','reference') and table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            for (text,) in conn.execute(f'select t::text from "{schema}"."{table}" t'):
                chunks.append(text)
    return "\n".join(chunks)


def archive_files(root: Path, area: str) -> list[Path]:
    return sorted(p for p in (root / area).rglob("*") if p.is_file())


# One delivery per feed to start rule tests from (keys exist in every generated period 2024-01..2026-10).
FEED_SAMPLES = {
    "politie_registraties": "politie/registraties/registraties_online_202511.csv",
    "om_instroom": "om/instroom/om_instroom_2025Q1.xlsx",
    "riec_casussen": "riec/casussen/riec_casussen_20251231.xlsx",
    "fraudemeldingen": "partners/fraudehelpdesk/fraudemeldingen/fraudemeldingen_202511.json",
    "veiligheidsmonitor": "cbs/veiligheidsmonitor/veiligheidsmonitor_2023.csv",
    "bevolking": "cbs/bevolking/bevolking_2025.csv",
}


def feed_sample(feed: str, files: dict[str, bytes], activities_folder: str = "gemeenten/") -> tuple[str, bytes]:
    """The sample delivery of a feed; for activities the largest CSV under the given folder."""
    if feed == "activiteiten":
        csvs = [(k, v) for k, v in sorted(files.items()) if k.startswith(activities_folder) and k.endswith(".csv")]
        return max(csvs, key=lambda kv: len(kv[1]))
    return FEED_SAMPLES[feed], files[FEED_SAMPLES[feed]]


def split_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    """A generated delivery (UTF-8, ';') as its header and rows, to change rows in a test."""
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=";")
    return header, rows


def join_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")
