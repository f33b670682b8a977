"""Defect injection: one small pure function per problem the feed specs describe.

Every function takes a clean delivery (bytes) and returns a defective copy (bytes); keyword
arguments (`seed`, `n`, ...) choose which and how many rows are touched, deterministically.
`DEFECTS` maps a name to a `Defect`: a callable that also says which feed it applies to and what
the platform must do with the result:

- ``accepted``: a quirk within the spec; every row must still load (e.g. Windows-1252, BOM);
- ``rows_rejected``: exactly `bad_rows` rows (with default arguments) are rejected, the rest loads;
  `None` when the count depends on policy (which of two duplicate rows is kept);
- ``file_refused``: the whole file goes to quarantine.

Police defects live here; those of the other feeds in `defects_feeds.py` and are registered below.
"""
from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from synthetic import defects_feeds as feeds
from synthetic.csvfile import CsvFile

Outcome = Literal["accepted", "rows_rejected", "file_refused"]


@dataclass(frozen=True)
class Defect:
    name: str
    feed: str
    outcome: Outcome
    bad_rows: int | None
    description: str
    apply: Callable[..., bytes]

    def __call__(self, data: bytes, **kwargs) -> bytes:
        return self.apply(data, **kwargs)


# --------------------------------------------------------------------------- helpers
def _parse_date(text: str) -> date | None:
    text = text.strip()
    try:
        if len(text) == 10 and text[4] == "-":
            return date.fromisoformat(text)
        if len(text) == 10 and text[2] == "-":
            return date(int(text[6:]), int(text[3:5]), int(text[:2]))
    except ValueError:
        return None
    return None


def _format_like(example: str, d: date) -> str:
    return d.isoformat() if example.strip()[4:5] == "-" else f"{d.day:02d}-{d.month:02d}-{d.year:04d}"


def _pick(f: CsvFile, n: int, seed: int, where: Callable[[list[str]], bool] | None = None) -> list[list[str]]:
    candidates = [r for r in f.rows if where is None or where(r)]
    if len(candidates) < n:
        raise ValueError(f"file has only {len(candidates)} suitable rows, {n} needed")
    return random.Random(seed).sample(candidates, n)


def _edit(data: bytes, change: Callable[[CsvFile], None]) -> bytes:
    f = CsvFile.parse(data, delimiter=";")
    change(f)
    return f.to_bytes()


def _set_rows(column: str, values: list[str], where: Callable[[CsvFile, list[str]], bool] | None = None):
    """A defect that writes the given values (cycled) into `column` of n chosen rows."""
    def apply(data: bytes, *, seed: int = 0, n: int = len(values)) -> bytes:
        def change(f: CsvFile) -> None:
            rows = _pick(f, n, seed, (lambda r: where(f, r)) if where else None)
            for i, row in enumerate(rows):
                f.set(row, column, values[i % len(values)])
        return _edit(data, change)
    return apply


def _known_gemeente(f: CsvFile, row: list[str]) -> bool:
    return bool(f.get(row, "pleeggemeente").strip())


# --------------------------------------------------------------------------- accepted quirks
_CP1252_TEXTS = [
    "Pinpas afgegeven aan 'medewerker' bij Café Súdwest, € 250 opgenomen",
    "Afspraak bij Café de Zwaan in Wijk bij Duurstede, koper betaalde niet (€ 85)",
    "Bericht over 'pakket' voor Zoë, daarna rekening leeg",
    "Verkoper gaf adres op in Súdwest-Fryslân, nooit geleverd",
    "Cursus 'veilig internetbankieren' gemist, daarna geëist bedrag betaald",
]


def windows_1252(data: bytes, *, seed: int = 0, n: int = 5) -> bytes:
    """An older export: Windows-1252, with accented names and the euro sign in the free text."""
    def change(f: CsvFile) -> None:
        for i, row in enumerate(_pick(f, min(n, len(f.rows)), seed)):
            f.set(row, "omschrijving", _CP1252_TEXTS[i % len(_CP1252_TEXTS)])
        f.encoding, f.bom = "cp1252", False
    return _edit(data, change)


def utf8_bom(data: bytes) -> bytes:
    def change(f: CsvFile) -> None:
        f.encoding, f.bom = "utf-8", True
    return _edit(data, change)


def gemeente_code_variants(data: bytes, *, seed: int = 0, n: int = 20) -> bytes:
    """Codes without the GM prefix: '0344' and '344' both mean GM0344."""
    def change(f: CsvFile) -> None:
        for i, row in enumerate(_pick(f, n, seed, lambda r: _known_gemeente(f, r))):
            digits = f.get(row, "pleeggemeente").strip()[2:]
            f.set(row, "pleeggemeente", digits if i % 2 == 0 else str(int(digits)))
    return _edit(data, change)


MERGED_CODES = {"GM1942": ["GM0381", "GM0424", "GM0425"], "GM1961": ["GM0545", "GM0620", "GM0707"],
                "GM1904": ["GM0311", "GM0329", "GM0333"]}


def merged_gemeente_codes(data: bytes, *, seed: int = 0, n: int = 6) -> bytes:
    """Old codes of merged municipalities (GM0381 Bussum -> GM1942 Gooise Meren); their wijk is
    left empty because old wijk codes are not in the current wijk list."""
    def change(f: CsvFile) -> None:
        rows = _pick(f, n, seed, lambda r: f.get(r, "pleeggemeente").strip() in MERGED_CODES)
        for i, row in enumerate(rows):
            old = MERGED_CODES[f.get(row, "pleeggemeente").strip()]
            f.set(row, "pleeggemeente", old[i % len(old)])
            f.set(row, "wijk", "")
    return _edit(data, change)


def header_case_and_order(data: bytes, *, seed: int = 0) -> bytes:
    """Another export tool: header names in other case, columns in another order."""
    def change(f: CsvFile) -> None:
        rnd = random.Random(seed)
        order = list(range(len(f.header)))
        while order == sorted(order):
            rnd.shuffle(order)
        styles = [str.upper, str.title, lambda s: s[0].upper() + s[1:]]
        f.header = [styles[i % len(styles)](f.header[j]) for i, j in enumerate(order)]
        f.rows = [[row[j] for j in order] for row in f.rows]
    return _edit(data, change)


def trailing_spaces_in_codes(data: bytes, *, seed: int = 0, n: int = 30) -> bytes:
    def change(f: CsvFile) -> None:
        for row in _pick(f, min(n, len(f.rows)), seed):
            for column in ("pleeggemeente", "wijk", "soort_misdrijf", "modus", "registratiesoort",
                           "slachtoffer_type", "incidentcode"):
                value = f.get(row, column)
                if value.strip():
                    f.set(row, column, value.rstrip() + "  ")
    return _edit(data, change)


def mixed_date_formats(data: bytes, *, seed: int = 0, n: int = 20) -> bytes:
    """Some rows jjjj-mm-dd, others dd-mm-jjjj, in one file."""
    def change(f: CsvFile) -> None:
        for row in _pick(f, min(n, len(f.rows)), seed):
            for column in ("registratiedatum", "pleegdatum"):
                d = _parse_date(f.get(row, column))
                if d:
                    iso = f.get(row, column)[4:5] == "-"
                    f.set(row, column, f"{d.day:02d}-{d.month:02d}-{d.year}" if iso else d.isoformat())
    return _edit(data, change)


# --------------------------------------------------------------------------- bad rows
def _file_month(f: CsvFile) -> tuple[int, int]:
    months: dict[tuple[int, int], int] = {}
    for row in f.rows:
        d = _parse_date(f.get(row, "registratiedatum"))
        if d:
            months[(d.year, d.month)] = months.get((d.year, d.month), 0) + 1
    return max(months, key=months.get)


def invalid_date(data: bytes, *, seed: int = 0, n: int = 3) -> bytes:
    def change(f: CsvFile) -> None:
        year, month = _file_month(f)
        values = [f"31-02-{year}", f"{year}-13-{month:02d}", "gisteren"]
        for i, row in enumerate(_pick(f, n, seed)):
            f.set(row, "registratiedatum", values[i % len(values)])
    return _edit(data, change)


def registratiedatum_outside_month(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    def change(f: CsvFile) -> None:
        year, month = _file_month(f)
        outside = date(year + month // 12, month % 12 + 1, 2)
        for row in _pick(f, n, seed):
            f.set(row, "registratiedatum", _format_like(f.get(row, "registratiedatum"), outside))
    return _edit(data, change)


def pleegdatum_after_registratiedatum(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    def change(f: CsvFile) -> None:
        for row in _pick(f, n, seed):
            text = f.get(row, "registratiedatum")
            f.set(row, "pleegdatum", _format_like(text, _parse_date(text) + timedelta(days=3)))
    return _edit(data, change)


def duplicate_registratienummer(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    """Row B gets row A's registratienummer (n pairs)."""
    def change(f: CsvFile) -> None:
        rows = _pick(f, 2 * n, seed)
        for a, b in zip(rows[::2], rows[1::2]):
            f.set(b, "registratienummer", f.get(a, "registratienummer"))
    return _edit(data, change)


def wijk_not_in_pleeggemeente(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    def change(f: CsvFile) -> None:
        for row in _pick(f, n, seed, lambda r: _known_gemeente(f, r)):
            digits = f.get(row, "pleeggemeente").strip()[-4:]
            other = "0307" if digits != "0307" else "0344"
            f.set(row, "wijk", f"WK{other}01")
    return _edit(data, change)


def missing_required_value(data: bytes, *, seed: int = 0, n: int = 3) -> bytes:
    columns = ["modus", "registratiedatum", "registratienummer", "registratiesoort",
               "slachtoffer_type", "soort_misdrijf"]

    def change(f: CsvFile) -> None:
        for i, row in enumerate(_pick(f, n, seed)):
            f.set(row, columns[i % len(columns)], "")
    return _edit(data, change)


def ragged_row(data: bytes, *, seed: int = 0, n: int = 1) -> bytes:
    """A row with one field too many: a ';' in the free text that the export did not quote."""
    def change(f: CsvFile) -> None:
        for row in _pick(f, n, seed):
            row.append("extra veld")
    return _edit(data, change)


# --------------------------------------------------------------------------- whole-file defects
def empty_file(data: bytes) -> bytes:
    return b""


def header_only(data: bytes) -> bytes:
    def change(f: CsvFile) -> None:
        f.rows = []
    return _edit(data, change)


def missing_required_column(data: bytes, *, column: str = "modus") -> bytes:
    def change(f: CsvFile) -> None:
        i = f.index(column)
        f.header.pop(i)
        for row in f.rows:
            row.pop(i)
    return _edit(data, change)


def wrong_delimiter(data: bytes) -> bytes:
    def change(f: CsvFile) -> None:
        f.delimiter = ","
    return _edit(data, change)


def xlsx_instead_of_csv(data: bytes) -> bytes:
    """The month exported as an Excel workbook but named .csv."""
    from synthetic.xlsx import workbook_bytes

    f = CsvFile.parse(data, delimiter=";")
    return workbook_bytes([("Blad1", [f.header, *f.rows])])


def binary_garbage(data: bytes, *, seed: int = 0, size: int = 4096) -> bytes:
    rnd = random.Random(seed)
    return b"\x00\x01\x02\x03" + bytes(rnd.randrange(256) for _ in range(size))


def undecodable_bytes(data: bytes, *, seed: int = 0) -> bytes:
    """Bytes 0x81, 0x8D, 0x8F, 0x90 and 0x9D are undefined in Windows-1252 and invalid as UTF-8
    lead bytes: the file cannot be read in either encoding."""
    f = CsvFile.parse(data, delimiter=";")
    row = _pick(f, 1, seed)[0]
    marker = "@@UNDECODABLE@@"
    f.set(row, "omschrijving", f"Bericht van {marker} ontvangen")
    return f.to_bytes().replace(marker.encode(f.encoding), b"\x81\x8d\x90\x9d")


def zipped_csv(data: bytes) -> bytes:
    """The CSV delivered inside a zip archive (but still named .csv)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        info = zipfile.ZipInfo("registraties.csv", date_time=(1980, 1, 1, 0, 0, 0))
        z.writestr(info, data)
    return out.getvalue()


def too_many_bad_rows(data: bytes, *, seed: int = 0, share: float = 0.08) -> bytes:
    """More than the 5% tolerance of rows invalid: the whole file must be refused."""
    f = CsvFile.parse(data, delimiter=";")
    n = max(1, int(len(f.rows) * share) + 1)
    rows = _pick(f, n, seed)
    breakers = [("modus", "spoofing"), ("slachtoffer_leeftijd", "130"), ("registratiedatum", "gisteren"),
                ("registratiesoort", "proces-verbaal"), ("schadebedrag", "-75,00")]
    for i, row in enumerate(rows):
        column, value = breakers[i % len(breakers)]
        f.set(row, column, value)
    return f.to_bytes()


# --------------------------------------------------------------------------- registry
POLICE = "politie_registraties"


def _d(name: str, outcome: Outcome, bad_rows: int | None, description: str,
       apply: Callable[..., bytes], feed: str = POLICE) -> Defect:
    return Defect(name, feed, outcome, bad_rows, description, apply)


_POLICE_DEFECTS = [
    _d("windows_1252", "accepted", 0, "Windows-1252 encoding with Café, Súdwest and € in the free text", windows_1252),
    _d("utf8_bom", "accepted", 0, "UTF-8 with a byte order mark", utf8_bom),
    _d("gemeente_code_variants", "accepted", 0, "gemeente codes as 0344 and 344", gemeente_code_variants),
    _d("merged_gemeente_codes", "accepted", 0, "old codes of merged gemeenten (GM0381 Bussum, ...)",
       merged_gemeente_codes),
    _d("header_case_and_order", "accepted", 0, "header names in other case, columns shuffled", header_case_and_order),
    _d("trailing_spaces_in_codes", "accepted", 0, "trailing spaces after codes and enum values",
       trailing_spaces_in_codes),
    _d("mixed_date_formats", "accepted", 0, "dd-mm-jjjj and jjjj-mm-dd in one file", mixed_date_formats),
    _d("unknown_gemeente_code", "rows_rejected", 1, "pleeggemeente GM9999",
       _set_rows("pleeggemeente", ["GM9999"])),
    _d("gemeente_outside_unit", "rows_rejected", 1, "pleeggemeente GM0457 Weesp (now Amsterdam, outside the unit)",
       _set_rows("pleeggemeente", ["GM0457"])),
    _d("invalid_date", "rows_rejected", 3, "registratiedatum 31-02, month 13, 'gisteren'", invalid_date),
    _d("registratiedatum_outside_month", "rows_rejected", 1, "registratiedatum in the next month",
       registratiedatum_outside_month),
    _d("pleegdatum_after_registratiedatum", "rows_rejected", 1, "pleegdatum 3 days after registratiedatum",
       pleegdatum_after_registratiedatum),
    _d("age_out_of_range", "rows_rejected", 3, "slachtoffer_leeftijd 130, -1 and 'abc'",
       _set_rows("slachtoffer_leeftijd", ["130", "-1", "abc"])),
    _d("negative_schadebedrag", "rows_rejected", 1, "schadebedrag -250,00", _set_rows("schadebedrag", ["-250,00"])),
    _d("malformed_schadebedrag", "rows_rejected", 4, "schadebedrag 12,34,56 / EUR 100 / 1.2.3,00 / abc",
       _set_rows("schadebedrag", ["12,34,56", "EUR 100", "1.2.3,00", "abc"])),
    _d("duplicate_registratienummer", "rows_rejected", None, "two rows share a registratienummer",
       duplicate_registratienummer),
    _d("wijk_not_in_pleeggemeente", "rows_rejected", 1, "wijk of another gemeente", wijk_not_in_pleeggemeente),
    _d("invalid_modus", "rows_rejected", 2, "modus 'spoofing' and 'cyberpesten'",
       _set_rows("modus", ["spoofing", "cyberpesten"])),
    _d("invalid_registratiesoort", "rows_rejected", 1, "registratiesoort 'proces-verbaal'",
       _set_rows("registratiesoort", ["proces-verbaal"])),
    _d("invalid_slachtoffer_type", "rows_rejected", 1, "slachtoffer_type 'bedrijf'",
       _set_rows("slachtoffer_type", ["bedrijf"])),
    _d("invalid_soort_misdrijf", "rows_rejected", 1, "soort_misdrijf 'cyber'", _set_rows("soort_misdrijf", ["cyber"])),
    _d("missing_required_value", "rows_rejected", 3, "empty modus, registratiedatum, registratienummer",
       missing_required_value),
    _d("ragged_row", "rows_rejected", 1, "a row with one field too many", ragged_row),
    _d("empty_file", "file_refused", None, "zero bytes", empty_file),
    _d("header_only", "file_refused", None, "a header and no rows", header_only),
    _d("missing_required_column", "file_refused", None, "column modus missing", missing_required_column),
    _d("wrong_delimiter", "file_refused", None, "',' instead of ';'", wrong_delimiter),
    _d("xlsx_instead_of_csv", "file_refused", None, "an Excel workbook named .csv", xlsx_instead_of_csv),
    _d("zipped_csv", "file_refused", None, "a zip archive named .csv", zipped_csv),
    _d("binary_garbage", "file_refused", None, "random binary bytes", binary_garbage),
    _d("undecodable_bytes", "file_refused", None, "bytes invalid in UTF-8 and Windows-1252", undecodable_bytes),
    _d("too_many_bad_rows", "file_refused", None, "8% of the rows invalid (tolerance 5%)", too_many_bad_rows),
]

DEFECTS: dict[str, Defect] = {d.name: d for d in [*_POLICE_DEFECTS, *feeds.registry(_d)]}

FEED_DEFECTS: dict[str, dict[str, Defect]] = {}
for _defect in DEFECTS.values():
    FEED_DEFECTS.setdefault(_defect.feed, {})[_defect.name] = _defect
