"""Independent readers for the synthetic files, written from the feed specs (not from the
generator), so the tests check the files as a partner-facing parser would see them."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from warehouse.reference import REFERENCE_DIR, current_gemeenten

POLICE_COLUMNS = ["registratienummer", "registratiedatum", "pleegdatum", "pleeggemeente", "wijk",
                  "soort_misdrijf", "incidentcode", "modus", "registratiesoort", "slachtoffer_type",
                  "slachtoffer_leeftijd", "schadebedrag", "omschrijving"]
MODI = {"phishing", "vriend-in-nood", "bankhelpdeskfraude", "marktplaatsfraude", "webwinkelfraude",
        "identiteitsfraude", "sextortion", "ransomware", "hacken", "ddos", "beleggingsfraude",
        "datingfraude", "overig"}
GEMEENTEN = {r["gemeentecode"]: r for r in current_gemeenten()}
AMOUNT = re.compile(r"^(?:\d{1,3}(?:\.\d{3})+|\d+),\d{2}$")


@dataclass
class Parsed:
    header: list[str]              # as written
    rows: list[dict[str, str]]     # keyed by lower-cased, stripped header name
    encoding: str                  # 'utf-8', 'utf-8-sig' or 'cp1252'
    delimiter: str
    widths: list[int]              # fields per data row


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def read_csv(data: bytes, delimiter: str = ";") -> Parsed:
    text, encoding = decode(data)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = records[0]
    keys = [h.strip().lower() for h in header]
    rows = [dict(zip(keys, r)) for r in records[1:]]
    return Parsed(header, rows, encoding, delimiter, [len(r) for r in records[1:]])


def parse_date(text: str) -> date | None:
    text = text.strip()
    m = re.match(r"^(\d{2})-(\d{2})-(\d{4})$", text)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            return date.fromisoformat(text)
    except ValueError:
        return None
    return None


def parse_amount(text: str) -> float | None:
    text = text.strip()
    if not AMOUNT.match(text):
        return None
    return float(text.replace(".", "").replace(",", "."))


with open(REFERENCE_DIR / "gemeentecode_mapping.csv", newline="", encoding="utf-8") as _f:
    MERGED = {r["oude_code"]: r["nieuwe_code"] for r in csv.DictReader(_f)}


def gemeente_code(text: str) -> str | None:
    """'GM0344', '0344' and '344' all mean GM0344; old codes of merged gemeenten map to the current one."""
    m = re.match(r"^(?:GM)?(\d{1,4})$", text.strip(), re.IGNORECASE)
    if not m:
        return None
    code = "GM" + m.group(1).zfill(4)
    return MERGED.get(code, code)


def police_row_problems(row: dict[str, str], year: int, month: int) -> list[str]:
    """Everything the spec says about one row; an empty list means the row is valid."""
    p: list[str] = []
    reg = parse_date(row["registratiedatum"])
    if not row["registratienummer"].strip():
        p.append("registratienummer empty")
    if reg is None:
        p.append("registratiedatum invalid")
    elif (reg.year, reg.month) != (year, month):
        p.append("registratiedatum outside month")
    if row["pleegdatum"].strip():
        pleeg = parse_date(row["pleegdatum"])
        if pleeg is None:
            p.append("pleegdatum invalid")
        elif reg and pleeg > reg:
            p.append("pleegdatum after registratiedatum")
    code = None
    if row["pleeggemeente"].strip():
        code = gemeente_code(row["pleeggemeente"])
        if code not in GEMEENTEN:
            p.append("pleeggemeente unknown")
    wijk = row["wijk"].strip()
    if wijk:
        if not re.match(r"^WK\d{6}$", wijk):
            p.append("wijk malformed")
        elif code is None or wijk[2:6] != code[2:]:
            p.append("wijk not in pleeggemeente")
    if not re.match(r"^[0-9]\.[0-9]{1,2}\.[0-9]{1,2}$", row["soort_misdrijf"].strip()):
        p.append("soort_misdrijf invalid")
    if row["modus"].strip().lower() not in MODI:
        p.append("modus invalid")
    if row["registratiesoort"].strip().lower() not in ("aangifte", "melding"):
        p.append("registratiesoort invalid")
    if row["slachtoffer_type"].strip().lower() not in ("burger", "ondernemer", "instelling"):
        p.append("slachtoffer_type invalid")
    age = row["slachtoffer_leeftijd"].strip()
    if age and not (re.match(r"^\d+$", age) and 0 <= int(age) <= 110):
        p.append("leeftijd invalid")
    amount = row["schadebedrag"].strip()
    if amount and parse_amount(amount) is None:
        p.append("schadebedrag invalid")
    return p


# --------------------------------------------------------------------------- XLSX feeds
def read_xlsx(data: bytes, sheet: str | None = None) -> tuple[list[str], list[dict], list[list]]:
    """(header, data rows as dicts, totals rows) of a sheet; formula cells come back as '=...'."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    ws = wb[sheet] if sheet else wb.worksheets[0]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    header = [str(h).strip().lower() for h in values[0]]
    rows, totals = [], []
    for r in values[1:]:
        if isinstance(r[0], str) and r[0].startswith("Totaal"):
            totals.append(r)
        else:
            rows.append(dict(zip(header, r)))
    return header, rows, totals


def as_date(value) -> date | None:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return parse_date(value)
    return None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _gemeente_ok(value) -> bool:
    return _blank(value) or gemeente_code(str(value)) in GEMEENTEN


def om_row_problems(row: dict, year: int, quarter: int) -> list[str]:
    p = []
    if _blank(row.get("parketnummer")):
        p.append("parketnummer empty")
    instroom = as_date(row.get("instroomdatum"))
    if instroom is None:
        p.append("instroomdatum invalid")
    elif (instroom.year, (instroom.month - 1) // 3 + 1) != (year, quarter):
        p.append("instroomdatum outside quarter")
    if not _gemeente_ok(row.get("pleeggemeente")):
        p.append("pleeggemeente unknown")
    if row.get("categorie") not in ("cybercrime", "gedigitaliseerde criminaliteit"):
        p.append("categorie invalid")
    beslissing = row.get("beslissing")
    if beslissing not in ("dagvaarding", "strafbeschikking", "sepot", "transactie", "voeging", "geen beslissing"):
        p.append("beslissing invalid")
    beslis = as_date(row.get("beslisdatum"))
    if beslissing != "geen beslissing" and beslis is None:
        p.append("beslisdatum missing")
    if beslis and instroom and beslis < instroom:
        p.append("beslisdatum before instroomdatum")
    return p


DISTRICTS = {"Utrecht-Stad", "Oost-Utrecht", "West-Utrecht", "Flevoland", "Gooi en Vechtstreek"}
FENOMENEN = {"cyberfraude", "ransomware", "phishing-infrastructuur", "hosting-faciliteerder",
             "witwassen-crypto", "overig"}


def riec_row_problems(row: dict) -> list[str]:
    p = []
    if _blank(row.get("casusnummer")):
        p.append("casusnummer empty")
    if row.get("fase") not in ("signaal", "casusverkenning", "casus", "afgerond"):
        p.append("fase invalid")
    start, end = as_date(row.get("startdatum")), as_date(row.get("einddatum"))
    if start is None:
        p.append("startdatum invalid")
    if row.get("fase") == "afgerond" and end is None:
        p.append("einddatum missing")
    if start and end and end < start:
        p.append("einddatum before startdatum")
    if row.get("district") not in DISTRICTS:
        p.append("district invalid")
    for code in str(row.get("gemeenten") or "").split(","):
        if code.strip() and GEMEENTEN.get(gemeente_code(code) or "", {}).get("district") != row.get("district"):
            p.append("gemeente outside district")
    if row.get("online_component") not in ("ja", "nee"):
        p.append("online_component invalid")
    if row.get("fenomeen") not in FENOMENEN:
        p.append("fenomeen invalid")
    for column in ("bestuurlijke_rapportages", "interventies"):
        if not (isinstance(row.get(column), int) and row[column] >= 0):
            p.append(f"{column} invalid")
    return p


ACT_TYPES = {"voorlichting", "campagne", "training", "kennisbijeenkomst", "actiedag", "nazorg", "overig"}
ACT_DOELGROEPEN = {"senioren", "jongeren", "ouders", "ondernemers", "inwoners", "professionals"}


def read_activiteiten(data: bytes) -> list[dict]:
    if data[:2] == b"PK":
        return read_xlsx(data)[1]
    text, _ = decode(data)
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return read_csv(data, delimiter).rows


def _int_or_blank(value) -> bool:
    return _blank(value) or isinstance(value, int) and value >= 0 or (
        isinstance(value, str) and value.strip().isdigit())


def activiteit_problems(row: dict, folder: str) -> list[str]:
    p = []
    if as_date(row.get("datum")) is None:
        p.append("datum invalid")
    gemeente = row.get("gemeente")
    if not _gemeente_ok(gemeente):
        p.append("gemeente unknown")
    elif folder != "regio" and gemeente_code(str(gemeente or "")) != folder:
        p.append("gemeente differs from folder")
    if _blank(row.get("titel")):
        p.append("titel empty")
    if row.get("type") not in ACT_TYPES:
        p.append("type invalid")
    if row.get("doelgroep") not in ACT_DOELGROEPEN:
        p.append("doelgroep invalid")
    for column in ("bereik", "deelnemers"):
        if not _int_or_blank(row.get(column)):
            p.append(f"{column} invalid")
    if row.get("onderbouwd") not in ("ja", "nee"):
        p.append("onderbouwd invalid")
    return p


def fraude_record_problems(record: dict) -> list[str]:
    p = []
    if gemeente_code(str(record.get("gemeente", ""))) not in GEMEENTEN:
        p.append("gemeente unknown")
    if record.get("fraudetype") not in MODI:
        p.append("fraudetype invalid")
    m, g, s = record.get("meldingen"), record.get("gedupeerden"), record.get("schade_eur")
    if not (isinstance(m, int) and m >= 0):
        p.append("meldingen invalid")
    if not (isinstance(g, int) and g >= 0 and (not isinstance(m, int) or g <= m)):
        p.append("gedupeerden invalid")
    if not (isinstance(s, (int, float)) and s >= 0):
        p.append("schade invalid")
    return p


REGIONS = set(GEMEENTEN) | {"PV26", "PV24", "PV27", "RE09", "NL01"}
INDICATORS = {"slachtofferschap_online", "aangiftebereidheid_online", "meldingsbereidheid_online",
              "slachtofferschap_fraude_online", "slachtofferschap_hacken"}


def _pct_ok(value: str) -> bool:
    return value in (".", "") or bool(re.fullmatch(r"\d{1,3}(\.\d+)?", value)) and 0 <= float(value) <= 100


def vm_row_problems(row: dict[str, str]) -> list[str]:
    p = []
    if not row["jaar"].isdigit():
        p.append("jaar invalid")
    if row["regio"] not in REGIONS:
        p.append("regio unknown")
    if row["indicator"] not in INDICATORS:
        p.append("indicator invalid")
    for column in ("waarde", "ondergrens", "bovengrens"):
        if not _pct_ok(row[column]):
            p.append(f"{column} invalid")
    if row["bron"] not in ("VM", "OVeC"):
        p.append("bron invalid")
    return p


def bevolking_row_problems(row: dict[str, str]) -> list[str]:
    p = []
    if gemeente_code(row["gemeente"]) not in GEMEENTEN:
        p.append("gemeente unknown")
    if not (row["inwoners"].isdigit() and int(row["inwoners"]) > 0):
        p.append("inwoners invalid")
    plus = row["inwoners_15plus"]
    if plus not in (".", "") and not (plus.isdigit() and row["inwoners"].isdigit()
                                      and int(plus) <= int(row["inwoners"])):
        p.append("inwoners_15plus invalid")
    return p
