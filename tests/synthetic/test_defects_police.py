"""Every police defect produces exactly the problem it claims, and nothing else."""
from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Callable

import pytest

from synthetic import DEFECTS
from tests.synthetic.helpers import POLICE_COLUMNS, Parsed, gemeente_code, parse_date, police_row_problems, read_csv
from warehouse.reference import REFERENCE_DIR

YEAR, MONTH = 2025, 3


@pytest.fixture(scope="module")
def clean(police_files) -> bytes:
    return police_files[f"politie/registraties/registraties_online_{YEAR}{MONTH:02d}.csv"]


def _problems(parsed: Parsed) -> list[list[str]]:
    return [police_row_problems(r, YEAR, MONTH) for r in parsed.rows]


def _normalised(row: dict[str, str]) -> dict[str, str]:
    out = {k: v.strip() for k, v in row.items()}
    if out["pleeggemeente"]:
        out["pleeggemeente"] = gemeente_code(out["pleeggemeente"])
    for column in ("registratiedatum", "pleegdatum"):
        if out[column]:
            out[column] = str(parse_date(out[column]))
    return out


def _same_content(a: Parsed, b: Parsed, ignore: tuple[str, ...] = ()) -> bool:
    def strip(r):
        return {k: v for k, v in _normalised(r).items() if k not in ignore}
    return [strip(r) for r in a.rows] == [strip(r) for r in b.rows]


# --------------------------------------------------------------------------- accepted quirks
def check_windows_1252(clean: bytes, out: bytes) -> None:
    with pytest.raises(UnicodeDecodeError):
        out.decode("utf-8")
    text = out.decode("cp1252")
    assert "Café" in text and "Súdwest" in text and "€" in text
    parsed = read_csv(out)
    assert parsed.encoding == "cp1252"
    assert not any(_problems(parsed))
    assert _same_content(read_csv(clean), parsed, ignore=("omschrijving",))


def check_utf8_bom(clean: bytes, out: bytes) -> None:
    assert out == b"\xef\xbb\xbf" + clean


def check_gemeente_code_variants(clean: bytes, out: bytes) -> None:
    parsed = read_csv(out)
    codes = [r["pleeggemeente"] for r in parsed.rows if r["pleeggemeente"]]
    assert any(len(c) == 4 and c.isdigit() for c in codes)
    assert any(c.isdigit() and len(c) < 4 for c in codes)
    assert not any(_problems(parsed))
    assert _same_content(read_csv(clean), parsed)


def check_merged_gemeente_codes(clean: bytes, out: bytes) -> None:
    with open(REFERENCE_DIR / "gemeentecode_mapping.csv") as f:
        mapping = {r["oude_code"]: r["nieuwe_code"] for r in csv.DictReader(f)}
    before, after = read_csv(clean), read_csv(out)
    changed = [(a, b) for a, b in zip(before.rows, after.rows) if a != b]
    assert changed
    for a, b in changed:
        assert b["pleeggemeente"] in mapping and mapping[b["pleeggemeente"]] == a["pleeggemeente"]
        assert b["wijk"] == ""


def check_header_case_and_order(clean: bytes, out: bytes) -> None:
    parsed = read_csv(out)
    assert parsed.header != POLICE_COLUMNS
    assert [h.lower() for h in parsed.header] != POLICE_COLUMNS           # order changed
    assert sorted(h.lower() for h in parsed.header) == sorted(POLICE_COLUMNS)
    assert any(h != h.lower() for h in parsed.header)                     # case changed
    assert [dict(sorted(r.items())) for r in parsed.rows] == [dict(sorted(r.items())) for r in read_csv(clean).rows]


def check_trailing_spaces_in_codes(clean: bytes, out: bytes) -> None:
    parsed = read_csv(out)
    assert any(r["modus"].endswith(" ") and r["pleeggemeente"].endswith(" ") for r in parsed.rows)
    assert not any(_problems(parsed))
    assert _same_content(read_csv(clean), parsed)


def check_mixed_date_formats(clean: bytes, out: bytes) -> None:
    parsed = read_csv(out)
    styles = Counter("iso" if r["registratiedatum"][4] == "-" else "nl" for r in parsed.rows)
    assert styles["iso"] > 0 and styles["nl"] > 0
    assert not any(_problems(parsed))
    assert _same_content(read_csv(clean), parsed)


# --------------------------------------------------------------------------- bad rows
def rows_with(problem: str) -> Callable[[bytes, bytes, int | None], None]:
    def check(clean: bytes, out: bytes, expected: int | None = None) -> None:
        before, after = read_csv(clean), read_csv(out)
        assert len(after.rows) == len(before.rows)
        bad = [p for p in _problems(after) if p]
        assert bad and all(any(problem in x for x in p) for p in bad), bad
        assert len(bad) == expected
        changed = sum(a != b for a, b in zip(before.rows, after.rows))
        assert changed == expected
    return check


def check_duplicate_registratienummer(clean: bytes, out: bytes) -> None:
    before, after = read_csv(clean), read_csv(out)
    counts = Counter(r["registratienummer"] for r in after.rows)
    assert sorted(counts.values())[-1] == 2 and list(counts.values()).count(2) == 1
    assert len(set(r["registratienummer"] for r in before.rows)) == len(before.rows)
    assert not any(_problems(after))


def check_ragged_row(clean: bytes, out: bytes) -> None:
    after = read_csv(out)
    assert Counter(after.widths) == Counter({len(POLICE_COLUMNS): len(after.rows) - 1, len(POLICE_COLUMNS) + 1: 1})


def check_gemeente_outside_unit(clean: bytes, out: bytes) -> None:
    rows_with("pleeggemeente unknown")(clean, out, 1)
    with open(REFERENCE_DIR / "gemeentecode_mapping.csv") as f:
        mapping = {r["oude_code"]: r["nieuwe_code"] for r in csv.DictReader(f)}
    assert mapping["GM0457"] == "GM0363"
    assert sum(r["pleeggemeente"] == "GM0457" for r in read_csv(out).rows) == 1


def check_missing_required_value(clean: bytes, out: bytes) -> None:
    after = read_csv(out)
    emptied = Counter(c for r in after.rows for c in ("modus", "registratiedatum", "registratienummer") if not r[c])
    assert emptied == Counter({"modus": 1, "registratiedatum": 1, "registratienummer": 1})
    assert sum(bool(p) for p in _problems(after)) == 3


# --------------------------------------------------------------------------- whole files
def check_empty_file(clean: bytes, out: bytes) -> None:
    assert out == b""


def check_header_only(clean: bytes, out: bytes) -> None:
    parsed = read_csv(out)
    assert parsed.header == POLICE_COLUMNS and parsed.rows == []


def check_missing_required_column(clean: bytes, out: bytes) -> None:
    parsed = read_csv(out)
    assert "modus" not in [h.lower() for h in parsed.header] and len(parsed.header) == len(POLICE_COLUMNS) - 1
    assert len(parsed.rows) == len(read_csv(clean).rows)


def check_wrong_delimiter(clean: bytes, out: bytes) -> None:
    first_line = out.split(b"\n", 1)[0]
    assert b";" not in first_line
    parsed = read_csv(out, delimiter=",")
    assert parsed.header == POLICE_COLUMNS
    assert [r["schadebedrag"] for r in parsed.rows] == [r["schadebedrag"] for r in read_csv(clean).rows]


def check_xlsx_instead_of_csv(clean: bytes, out: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert "xl/workbook.xml" in z.namelist()
    from synthetic.xlsx import sheet_rows

    rows = sheet_rows(out)
    assert rows[0] == POLICE_COLUMNS and len(rows) == len(read_csv(clean).rows) + 1


def check_zipped_csv(clean: bytes, out: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert z.read(z.namelist()[0]) == clean


def check_binary_garbage(clean: bytes, out: bytes) -> None:
    assert b"\x00" in out[:16]
    with pytest.raises(UnicodeDecodeError):
        out.decode("utf-8")


def check_undecodable_bytes(clean: bytes, out: bytes) -> None:
    with pytest.raises(UnicodeDecodeError):
        out.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        out.decode("cp1252")
    assert b"\x00" not in out and len(out) > len(clean) // 2


def check_too_many_bad_rows(clean: bytes, out: bytes) -> None:
    parsed = read_csv(out)
    share = sum(bool(p) for p in _problems(parsed)) / len(parsed.rows)
    assert 0.05 < share < 0.15


CHECKS: dict[str, Callable[[bytes, bytes], None]] = {
    "windows_1252": check_windows_1252,
    "utf8_bom": check_utf8_bom,
    "gemeente_code_variants": check_gemeente_code_variants,
    "merged_gemeente_codes": check_merged_gemeente_codes,
    "header_case_and_order": check_header_case_and_order,
    "trailing_spaces_in_codes": check_trailing_spaces_in_codes,
    "mixed_date_formats": check_mixed_date_formats,
    "unknown_gemeente_code": lambda c, o: rows_with("pleeggemeente unknown")(c, o, 1),
    "gemeente_outside_unit": check_gemeente_outside_unit,
    "invalid_date": lambda c, o: rows_with("registratiedatum invalid")(c, o, 3),
    "registratiedatum_outside_month": lambda c, o: rows_with("registratiedatum outside month")(c, o, 1),
    "pleegdatum_after_registratiedatum": lambda c, o: rows_with("pleegdatum after")(c, o, 1),
    "age_out_of_range": lambda c, o: rows_with("leeftijd invalid")(c, o, 3),
    "negative_schadebedrag": lambda c, o: rows_with("schadebedrag invalid")(c, o, 1),
    "malformed_schadebedrag": lambda c, o: rows_with("schadebedrag invalid")(c, o, 4),
    "duplicate_registratienummer": check_duplicate_registratienummer,
    "wijk_not_in_pleeggemeente": lambda c, o: rows_with("wijk not in pleeggemeente")(c, o, 1),
    "invalid_modus": lambda c, o: rows_with("modus invalid")(c, o, 2),
    "invalid_registratiesoort": lambda c, o: rows_with("registratiesoort invalid")(c, o, 1),
    "invalid_slachtoffer_type": lambda c, o: rows_with("slachtoffer_type invalid")(c, o, 1),
    "invalid_soort_misdrijf": lambda c, o: rows_with("soort_misdrijf invalid")(c, o, 1),
    "missing_required_value": check_missing_required_value,
    "ragged_row": check_ragged_row,
    "empty_file": check_empty_file,
    "header_only": check_header_only,
    "missing_required_column": check_missing_required_column,
    "wrong_delimiter": check_wrong_delimiter,
    "xlsx_instead_of_csv": check_xlsx_instead_of_csv,
    "zipped_csv": check_zipped_csv,
    "binary_garbage": check_binary_garbage,
    "undecodable_bytes": check_undecodable_bytes,
    "too_many_bad_rows": check_too_many_bad_rows,
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_police_defect_does_what_it_says(name: str, clean: bytes) -> None:
    defect = DEFECTS[name]
    assert defect.feed == "politie_registraties"
    out = defect(clean)
    assert out != clean
    CHECKS[name](clean, out)
    assert defect(clean) == out  # deterministic


@pytest.mark.parametrize("name", ["invalid_date", "age_out_of_range", "unknown_gemeente_code"])
def test_row_defects_touch_n_rows(name: str, clean: bytes) -> None:
    after = read_csv(DEFECTS[name](clean, n=7, seed=3))
    assert sum(bool(p) for p in _problems(after)) == 7


def test_defects_compose(clean: bytes) -> None:
    out = DEFECTS["windows_1252"](DEFECTS["header_case_and_order"](DEFECTS["invalid_modus"](clean)))
    parsed = read_csv(out)
    assert parsed.encoding == "cp1252" and parsed.header != POLICE_COLUMNS
    assert sum(bool(p) for p in _problems(parsed)) == 2


@pytest.mark.parametrize("name", sorted(n for n, d in DEFECTS.items()
                                        if d.feed == "politie_registraties" and d.outcome != "file_refused"))
def test_bad_rows_metadata_matches_the_file(name: str, clean: bytes) -> None:
    defect = DEFECTS[name]
    parsed = read_csv(defect(clean))
    if name == "ragged_row":
        bad = sum(w != len(POLICE_COLUMNS) for w in parsed.widths)
    elif name == "duplicate_registratienummer":
        return  # which of the two rows is kept is the platform's policy (bad_rows is None)
    else:
        bad = sum(bool(p) for p in _problems(parsed))
    assert bad == defect.bad_rows
