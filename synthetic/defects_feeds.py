"""Defects of the feeds other than the police registrations (registered in `defects.py`).

Same contract as there: clean bytes in, defective bytes out, deterministic for a given `seed`.
"""
from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from synthetic.csvfile import CsvFile
from synthetic.xlsx import Formula, load, save


# --------------------------------------------------------------------------- table access
def _is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


class _Sheet:
    """Header + rows of a CSV file or of one workbook sheet, written back in the same form."""

    def __init__(self, data: bytes, sheet: str | None = None, delimiter: str | None = None) -> None:
        self.xlsx = _is_xlsx(data)
        if self.xlsx:
            self.wb = load(data)
            self.ws = self.wb[sheet] if sheet else self.wb.worksheets[0]
            self.header = [c.value for c in self.ws[1]]
        else:
            self.csv = CsvFile.parse(data, delimiter=delimiter)
            self.header = self.csv.header

    def col(self, name: str) -> int:
        return [str(h).strip().lower() for h in self.header].index(name)

    def data_rows(self, skip_totals: bool = True) -> list[int]:
        """Row handles (1-based sheet rows, or indexes into the CSV rows) of data rows."""
        if not self.xlsx:
            return list(range(len(self.csv.rows)))
        rows = []
        for r in range(2, self.ws.max_row + 1):
            first = self.ws.cell(r, 1).value
            if skip_totals and isinstance(first, str) and first.startswith("Totaal"):
                continue
            rows.append(r)
        return rows

    def get(self, row: int, name: str) -> Any:
        if self.xlsx:
            return self.ws.cell(row, self.col(name) + 1).value
        return self.csv.rows[row][self.col(name)]

    def set(self, row: int, name: str, value: Any) -> None:
        if self.xlsx:
            cell = self.ws.cell(row, self.col(name) + 1)
            cell.value = value
            if isinstance(value, str) and value.startswith("=") and not isinstance(value, Formula):
                cell.data_type = "s"
            if isinstance(value, (date, datetime)):
                cell.number_format = "dd-mm-yyyy"
        else:
            self.csv.rows[row][self.col(name)] = "" if value is None else str(value)

    def pick(self, n: int, seed: int, where: Callable[[int], bool] | None = None) -> list[int]:
        rows = [r for r in self.data_rows() if where is None or where(r)]
        if len(rows) < n:
            raise ValueError(f"only {len(rows)} suitable rows, {n} needed")
        return random.Random(seed).sample(rows, n)

    def to_bytes(self) -> bytes:
        return save(self.wb) if self.xlsx else self.csv.to_bytes()


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text[4:5] == "-":
            return date.fromisoformat(text)
        return date(int(text[6:10]), int(text[3:5]), int(text[:2]))
    return None


def _date_like(old: Any, d: date) -> Any:
    if isinstance(old, str):
        return d.isoformat() if old.strip()[4:5] == "-" else f"{d.day:02d}-{d.month:02d}-{d.year}"
    return datetime(d.year, d.month, d.day)


def set_values(column: str, values: list[Any], *, sheet: str | None = None,
               where: Callable[[_Sheet, int], bool] | None = None) -> Callable[..., bytes]:
    def apply(data: bytes, *, seed: int = 0, n: int = len(values)) -> bytes:
        s = _Sheet(data, sheet)
        for i, row in enumerate(s.pick(n, seed, (lambda r: where(s, r)) if where else None)):
            s.set(row, column, values[i % len(values)])
        return s.to_bytes()
    return apply


def duplicate_key(column: str, *, sheet: str | None = None) -> Callable[..., bytes]:
    def apply(data: bytes, *, seed: int = 0) -> bytes:
        s = _Sheet(data, sheet)
        a, b = s.pick(2, seed)
        s.set(b, column, s.get(a, column))
        return s.to_bytes()
    return apply


def drop_column(column: str, *, sheet: str | None = None) -> Callable[..., bytes]:
    def apply(data: bytes) -> bytes:
        s = _Sheet(data, sheet)
        i = s.col(column)
        if s.xlsx:
            s.ws.delete_cols(i + 1)
        else:
            s.csv.header.pop(i)
            for row in s.csv.rows:
                row.pop(i)
        return s.to_bytes()
    return apply


def rename_sheet(old: str, new: str = "Blad1") -> Callable[..., bytes]:
    def apply(data: bytes) -> bytes:
        wb = load(data)
        wb[old].title = new
        return save(wb)
    return apply


def text_dates(columns: tuple[str, ...], *, sheet: str | None = None) -> Callable[..., bytes]:
    """Date cells exported as text dd-mm-jjjj (allowed in XLSX deliveries)."""
    def apply(data: bytes) -> bytes:
        s = _Sheet(data, sheet)
        for row in s.data_rows():
            for column in columns:
                d = _as_date(s.get(row, column))
                if d:
                    s.set(row, column, f"{d.day:02d}-{d.month:02d}-{d.year}")
        return s.to_bytes()
    return apply


def as_csv(*, sheet: str | None = None) -> Callable[..., bytes]:
    """The workbook's data delivered as CSV text under the .xlsx name."""
    def apply(data: bytes) -> bytes:
        s = _Sheet(data, sheet)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        for row in s.ws.iter_rows(values_only=True):
            writer.writerow(["" if v is None else v.strftime("%d-%m-%Y") if isinstance(v, datetime) else v
                             for v in row])
        return out.getvalue().encode("utf-8")
    return apply


# --------------------------------------------------------------------------- om_instroom
def om_missing_totaal_row(data: bytes) -> bytes:
    s = _Sheet(data, "Instroom")
    last = s.ws.max_row
    if str(s.ws.cell(last, 1).value or "").startswith("Totaal"):
        s.ws.delete_rows(last)
    return s.to_bytes()


def om_formula_cells(data: bytes) -> bytes:
    """The totals row computed with formulas (no cached values, as written by a script)."""
    s = _Sheet(data, "Instroom")
    last = s.ws.max_row
    s.ws.cell(last, 1).value = "Totaal aantal zaken"
    s.ws.cell(last, 2).value = Formula(f"=COUNTA(A2:A{last - 1})")
    s.ws.cell(last, 6).value = Formula(f'=COUNTIF(F2:F{last - 1},"<>geen beslissing")')
    return s.to_bytes()


def om_formula_in_data_cell(data: bytes, *, seed: int = 0) -> bytes:
    """A beslisdatum computed by a formula: the reader sees no value, so the decided case lacks
    its required beslisdatum."""
    s = _Sheet(data, "Instroom")
    row = s.pick(1, seed, lambda r: s.get(r, "beslisdatum") is not None)[0]
    col = s.col("instroomdatum") + 1
    letter = "ABCDEFGHIJ"[col - 1]
    s.ws.cell(row, s.col("beslisdatum") + 1).value = Formula(f"={letter}{row}+30")
    return s.to_bytes()


def _quarter_of(s: _Sheet) -> tuple[int, int]:
    counts: dict[tuple[int, int], int] = {}
    for r in s.data_rows():
        d = _as_date(s.get(r, "instroomdatum"))
        if d:
            key = (d.year, (d.month - 1) // 3 + 1)
            counts[key] = counts.get(key, 0) + 1
    return max(counts, key=counts.get)


def om_instroomdatum_outside_quarter(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    s = _Sheet(data, "Instroom")
    year, quarter = _quarter_of(s)
    outside = date(year + (quarter == 4), (quarter * 3) % 12 + 1, 5)
    for row in s.pick(n, seed, lambda r: s.get(r, "beslisdatum") is None):
        s.set(row, "instroomdatum", _date_like(s.get(row, "instroomdatum"), outside))
    return s.to_bytes()


def om_beslisdatum_before_instroomdatum(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    s = _Sheet(data, "Instroom")
    for row in s.pick(n, seed, lambda r: s.get(r, "beslisdatum") is not None):
        instroom = _as_date(s.get(row, "instroomdatum"))
        s.set(row, "beslisdatum", _date_like(s.get(row, "beslisdatum"), instroom - timedelta(days=10)))
    return s.to_bytes()


# --------------------------------------------------------------------------- riec_casussen
def riec_gemeente_outside_district(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    from synthetic.common import gemeenten

    s = _Sheet(data, "Casussen")
    for row in s.pick(n, seed, lambda r: bool(s.get(r, "gemeenten"))):
        district = s.get(row, "district")
        other = next(g.code for g in gemeenten() if g.district != district)
        s.set(row, "gemeenten", f"{s.get(row, 'gemeenten')},{other}")
    return s.to_bytes()


def riec_afgerond_without_einddatum(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    s = _Sheet(data, "Casussen")
    for row in s.pick(n, seed, lambda r: s.get(r, "fase") == "afgerond"):
        s.set(row, "einddatum", None)
    return s.to_bytes()


def riec_einddatum_before_startdatum(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    s = _Sheet(data, "Casussen")
    for row in s.pick(n, seed, lambda r: s.get(r, "fase") == "afgerond"):
        start = _as_date(s.get(row, "startdatum"))
        s.set(row, "einddatum", _date_like(s.get(row, "startdatum"), start - timedelta(days=30)))
    return s.to_bytes()


# --------------------------------------------------------------------------- activiteiten
def _folder_gemeente(s: _Sheet) -> str:
    codes = Counter(str(s.get(r, "gemeente") or "").strip() for r in s.data_rows())
    codes.pop("", None)
    return codes.most_common(1)[0][0]


def activiteiten_other_gemeente(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    """Extra rows for another gemeente in a gemeente's own folder (not authorised); the
    gemeente's own rows stay untouched."""
    s = _Sheet(data)
    own = _folder_gemeente(s)
    other = "GM0307" if own != "GM0307" else "GM0344"
    for i, row in enumerate(s.pick(n, seed)):
        if s.xlsx:
            values = [c.value for c in s.ws[row]]
            s.ws.append(values)
            new = s.ws.max_row
            s.ws.cell(new, s.col("datum") + 1).number_format = "dd-mm-yyyy"
        else:
            s.csv.rows.append(list(s.csv.rows[row]))
            new = len(s.csv.rows) - 1
        s.set(new, "gemeente", other)
        s.set(new, "titel", f"{s.get(new, 'titel')} (buurgemeente {i + 1})")
    return s.to_bytes()


_CP1252_TITLES = ["Voorlichting in Café de Zwaan", "Workshop voor ondernemers in Súdwest-kwartier",
                  "Informatieavond bij Zoë's buurthuis"]


def activiteiten_windows_1252(data: bytes, *, seed: int = 0, n: int = 3) -> bytes:
    s = _Sheet(data)
    if s.xlsx:
        raise ValueError("Windows-1252 applies to CSV deliveries only")
    for i, row in enumerate(s.pick(min(n, len(s.data_rows())), seed)):
        s.set(row, "titel", _CP1252_TITLES[i % len(_CP1252_TITLES)])
    s.csv.encoding, s.csv.bom = "cp1252", False
    return s.to_bytes()


def activiteiten_other_delimiter(data: bytes) -> bytes:
    """The same CSV with the other allowed delimiter (';' <-> ',')."""
    f = CsvFile.parse(data)
    f.delimiter = "," if f.delimiter == ";" else ";"
    return f.to_bytes()


# --------------------------------------------------------------------------- fraudemeldingen
def _json_edit(change: Callable[[dict, random.Random], None]) -> Callable[..., bytes]:
    def apply(data: bytes, *, seed: int = 0) -> bytes:
        doc = json.loads(data)
        change(doc, random.Random(seed))
        return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return apply


def _other_partner(doc: dict, rnd: random.Random) -> None:
    doc["partner"] = "bank-b" if doc["partner"] != "bank-b" else "bank-a"


def _other_periode(doc: dict, rnd: random.Random) -> None:
    year, month = map(int, doc["periode"].split("-"))
    doc["periode"] = f"{year - 1}-{month:02d}"


def _record_edit(change: Callable[[dict], None], where: Callable[[dict], bool] = lambda r: True):
    def edit(doc: dict, rnd: random.Random) -> None:
        change(rnd.choice([r for r in doc["records"] if where(r)]))
    return _json_edit(edit)


def _gedupeerden_above(r: dict) -> None:
    r["gedupeerden"] = r["meldingen"] + 2


def _code_variants(doc: dict, rnd: random.Random) -> None:
    for i, r in enumerate(rnd.sample(doc["records"], min(10, len(doc["records"])))):
        r["gemeente"] = r["gemeente"][2:] if i % 2 == 0 else str(int(r["gemeente"][2:]))


def fraudemeldingen_invalid_json(data: bytes) -> bytes:
    return data[: len(data) // 2]


# --------------------------------------------------------------------------- CBS
def vm_dot_values(data: bytes, *, seed: int = 0, n: int = 5) -> bytes:
    s = _Sheet(data, delimiter=",")
    for row in s.pick(n, seed, lambda r: s.get(r, "waarde") != "."):
        for column in ("waarde", "ondergrens", "bovengrens"):
            s.set(row, column, ".")
    return s.to_bytes()


def cbs_semicolon_delimiter(data: bytes) -> bytes:
    f = CsvFile.parse(data, delimiter=",")
    f.delimiter = ";"
    return f.to_bytes()


def _published(s: _Sheet, r: int) -> bool:
    return s.get(r, "waarde") != "."


def _has_15plus(s: _Sheet, r: int) -> bool:
    return s.get(r, "inwoners_15plus") not in (".", "")


def bevolking_15plus_above_inwoners(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    s = _Sheet(data, delimiter=",")
    for row in s.pick(n, seed, lambda r: _has_15plus(s, r)):
        s.set(row, "inwoners_15plus", int(s.get(row, "inwoners")) + 100)
    return s.to_bytes()


# --------------------------------------------------------------------------- registry
def registry(make: Callable[..., Any]) -> list[Any]:
    """The Defect records of these feeds; `make(name, outcome, bad_rows, description, apply, feed=)`."""
    om, riec, act, fm, vm, bev = ("om_instroom", "riec_casussen", "activiteiten", "fraudemeldingen",
                                  "veiligheidsmonitor", "bevolking")
    def decided(s, r):
        return s.get(r, "beslisdatum") is not None
    return [
        make("om_missing_totaal_row", "accepted", 0, "export without its Totaal row", om_missing_totaal_row, feed=om),
        make("om_formula_cells", "accepted", 0, "Totaal row with COUNTA/COUNTIF formulas", om_formula_cells, feed=om),
        make("om_text_dates", "accepted", 0, "instroomdatum and beslisdatum as text dd-mm-jjjj",
             text_dates(("instroomdatum", "beslisdatum"), sheet="Instroom"), feed=om),
        make("om_formula_in_data_cell", "rows_rejected", 1, "beslisdatum as a formula without value",
             om_formula_in_data_cell, feed=om),
        make("om_instroomdatum_outside_quarter", "rows_rejected", 1, "instroomdatum in the next quarter",
             om_instroomdatum_outside_quarter, feed=om),
        make("om_beslisdatum_before_instroomdatum", "rows_rejected", 1, "beslisdatum 10 days before instroom",
             om_beslisdatum_before_instroomdatum, feed=om),
        make("om_missing_beslisdatum", "rows_rejected", 1, "a decision without beslisdatum",
             set_values("beslisdatum", [None], sheet="Instroom", where=decided), feed=om),
        make("om_invalid_beslissing", "rows_rejected", 1, "beslissing 'vrijspraak'",
             set_values("beslissing", ["vrijspraak"], sheet="Instroom"), feed=om),
        make("om_invalid_categorie", "rows_rejected", 1, "categorie 'fraude'",
             set_values("categorie", ["fraude"], sheet="Instroom"), feed=om),
        make("om_unknown_gemeente_code", "rows_rejected", 1, "pleeggemeente GM9999",
             set_values("pleeggemeente", ["GM9999"], sheet="Instroom"), feed=om),
        make("om_duplicate_parketnummer", "rows_rejected", None, "two cases share a parketnummer",
             duplicate_key("parketnummer", sheet="Instroom"), feed=om),
        make("om_missing_instroom_sheet", "file_refused", None, "sheet 'Instroom' renamed to 'Blad1'",
             rename_sheet("Instroom"), feed=om),
        make("om_missing_required_column", "file_refused", None, "column beslissing missing",
             drop_column("beslissing", sheet="Instroom"), feed=om),
        make("om_csv_instead_of_xlsx", "file_refused", None, "CSV text under the .xlsx name",
             as_csv(sheet="Instroom"), feed=om),

        make("riec_text_dates", "accepted", 0, "startdatum and einddatum as text dd-mm-jjjj",
             text_dates(("startdatum", "einddatum"), sheet="Casussen"), feed=riec),
        make("riec_gemeente_outside_district", "rows_rejected", 1, "a gemeente of another district",
             riec_gemeente_outside_district, feed=riec),
        make("riec_afgerond_without_einddatum", "rows_rejected", 1, "fase afgerond, einddatum empty",
             riec_afgerond_without_einddatum, feed=riec),
        make("riec_einddatum_before_startdatum", "rows_rejected", 1, "einddatum 30 days before startdatum",
             riec_einddatum_before_startdatum, feed=riec),
        make("riec_invalid_fase", "rows_rejected", 1, "fase 'lopend'",
             set_values("fase", ["lopend"], sheet="Casussen"), feed=riec),
        make("riec_invalid_district", "rows_rejected", 1, "district 'Amsterdam'",
             set_values("district", ["Amsterdam"], sheet="Casussen"), feed=riec),
        make("riec_negative_count", "rows_rejected", 1, "bestuurlijke_rapportages -1",
             set_values("bestuurlijke_rapportages", [-1], sheet="Casussen"), feed=riec),
        make("riec_duplicate_casusnummer", "rows_rejected", None, "two cases share a casusnummer",
             duplicate_key("casusnummer", sheet="Casussen"), feed=riec),
        make("riec_missing_sheet", "file_refused", None, "sheet 'Casussen' renamed to 'Blad1'",
             rename_sheet("Casussen"), feed=riec),

        make("activiteiten_windows_1252", "accepted", 0, "CSV in Windows-1252 with Café/Súdwest titles",
             activiteiten_windows_1252, feed=act),
        make("activiteiten_other_delimiter", "accepted", 0, "the other allowed delimiter", activiteiten_other_delimiter,
             feed=act),
        make("activiteiten_formula_like_titles", "accepted", 0, "titles starting with =, +, - and @",
             set_values("titel", ["=1+1 quiz", "+Veilig online 55+", "-Inloopspreekuur", "@Bibliotheek: spreekuur"]),
             feed=act),
        make("activiteiten_other_gemeente", "rows_rejected", 1,
             "an extra row for another gemeente in a gemeente folder", activiteiten_other_gemeente, feed=act),
        make("activiteiten_invalid_type", "rows_rejected", 1, "type 'webinar'",
             set_values("type", ["webinar"]), feed=act),
        make("activiteiten_invalid_doelgroep", "rows_rejected", 1, "doelgroep 'iedereen'",
             set_values("doelgroep", ["iedereen"]), feed=act),
        make("activiteiten_negative_bereik", "rows_rejected", 1, "bereik -5", set_values("bereik", [-5]), feed=act),
        make("activiteiten_missing_titel", "rows_rejected", 1, "titel empty", set_values("titel", [None]), feed=act),
        make("activiteiten_invalid_date", "rows_rejected", 1, "datum 31-09-2025", set_values("datum", ["31-09-2025"]),
             feed=act),
        make("activiteiten_invalid_onderbouwd", "rows_rejected", 1, "onderbouwd 'misschien'",
             set_values("onderbouwd", ["misschien"]), feed=act),
        make("activiteiten_missing_required_column", "file_refused", None, "column type missing",
             drop_column("type"), feed=act),

        make("fraudemeldingen_code_variants", "accepted", 0, "gemeente codes as 0344 and 344",
             _json_edit(_code_variants), feed=fm),
        make("fraudemeldingen_partner_mismatch", "file_refused", None, "partner field differs from the folder",
             _json_edit(_other_partner), feed=fm),
        make("fraudemeldingen_periode_mismatch", "file_refused", None, "periode differs from the file name",
             _json_edit(_other_periode), feed=fm),
        make("fraudemeldingen_invalid_json", "file_refused", None, "truncated JSON", fraudemeldingen_invalid_json,
             feed=fm),
        make("fraudemeldingen_gedupeerden_above_meldingen", "rows_rejected", 1, "gedupeerden > meldingen",
             _record_edit(_gedupeerden_above), feed=fm),
        make("fraudemeldingen_negative_schade", "rows_rejected", 1, "schade_eur -100",
             _record_edit(lambda r: r.update(schade_eur=-100.0)), feed=fm),
        make("fraudemeldingen_unknown_fraudetype", "rows_rejected", 1, "fraudetype 'spookfactuur'",
             _record_edit(lambda r: r.update(fraudetype="spookfactuur")), feed=fm),
        make("fraudemeldingen_unknown_gemeente", "rows_rejected", 1, "gemeente GM9999",
             _record_edit(lambda r: r.update(gemeente="GM9999")), feed=fm),
        make("fraudemeldingen_missing_field", "rows_rejected", 1, "a record without meldingen",
             _record_edit(lambda r: r.pop("meldingen")), feed=fm),

        make("vm_dot_values", "accepted", 0, "more values CBS does not publish ('.')", vm_dot_values, feed=vm),
        make("vm_decimal_comma", "rows_rejected", 1, "waarde '15,6' with a decimal comma",
             set_values("waarde", ["15,6"], where=_published), feed=vm),
        make("vm_percentage_out_of_range", "rows_rejected", 1, "waarde 130.0",
             set_values("waarde", ["130.0"], where=_published), feed=vm),
        make("vm_unknown_region", "rows_rejected", 1, "regio 'RE99'", set_values("regio", ["RE99"]), feed=vm),
        make("vm_invalid_indicator", "rows_rejected", 1, "indicator 'slachtofferschap_totaal'",
             set_values("indicator", ["slachtofferschap_totaal"]), feed=vm),
        make("vm_semicolon_delimiter", "file_refused", None, "';' instead of ','", cbs_semicolon_delimiter, feed=vm),
        make("bevolking_15plus_above_inwoners", "rows_rejected", 1, "inwoners_15plus > inwoners",
             bevolking_15plus_above_inwoners, feed=bev),
        make("bevolking_zero_inwoners", "rows_rejected", 1, "inwoners 0", set_values("inwoners", ["0"]), feed=bev),
        make("bevolking_unknown_gemeente", "rows_rejected", 1, "gemeente GM9999", set_values("gemeente", ["GM9999"]),
             feed=bev),
        make("bevolking_semicolon_delimiter", "file_refused", None, "';' instead of ','", cbs_semicolon_delimiter,
             feed=bev),
    ]
