"""Every defect of the other feeds produces exactly the problem it claims."""
from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable

import pytest
from openpyxl import load_workbook

from synthetic import DEFECTS
from tests.synthetic.helpers import (
    activiteit_problems,
    as_date,
    bevolking_row_problems,
    decode,
    fraude_record_problems,
    gemeente_code,
    om_row_problems,
    read_activiteiten,
    read_csv,
    read_xlsx,
    riec_row_problems,
    vm_row_problems,
)

OM_KEY = "om/instroom/om_instroom_2025Q1.xlsx"
RIEC_KEY = "riec/casussen/riec_casussen_20251231.xlsx"
FM_KEY = "partners/fraudehelpdesk/fraudemeldingen/fraudemeldingen_202511.json"
VM_KEY = "cbs/veiligheidsmonitor/veiligheidsmonitor_2023.csv"
BEV_KEY = "cbs/bevolking/bevolking_2025.csv"


# --------------------------------------------------------------------------- per-feed views
def om_rows(data: bytes) -> list[dict]:
    return read_xlsx(data, "Instroom")[1]


def om_problems(data: bytes) -> list[list[str]]:
    return [om_row_problems(r, 2025, 1) for r in om_rows(data)]


def riec_problems(data: bytes) -> list[list[str]]:
    return [riec_row_problems(r) for r in read_xlsx(data, "Casussen")[1]]


def act_problems(data: bytes) -> list[list[str]]:
    """Problems of a gemeente file; its folder is the gemeente most rows name."""
    rows = read_activiteiten(data)
    folder = Counter(gemeente_code(str(r["gemeente"])) for r in rows if r["gemeente"]).most_common(1)[0][0]
    return [activiteit_problems(r, folder) for r in rows]


def fm_problems(data: bytes) -> list[list[str]]:
    return [fraude_record_problems(r) for r in json.loads(data)["records"]]


def vm_problems(data: bytes) -> list[list[str]]:
    return [vm_row_problems(r) for r in read_csv(data, ",").rows]


def bev_problems(data: bytes) -> list[list[str]]:
    return [bevolking_row_problems(r) for r in read_csv(data, ",").rows]


def rejected(problems: Callable[[bytes], list[list[str]]], what: str, count: int = 1):
    def check(clean: bytes, out: bytes) -> None:
        before, after = problems(clean), problems(out)
        assert not any(before)
        bad = [p for p in after if p]
        assert len(bad) == count, bad
        assert all(any(what in x for x in p) for p in bad), bad
    return check


def accepted(problems: Callable[[bytes], list[list[str]]]):
    def check(clean: bytes, out: bytes) -> None:
        assert len(problems(out)) == len(problems(clean)) and not any(problems(out))
    return check


def _both(*checks):
    def check(clean: bytes, out: bytes) -> None:
        for c in checks:
            c(clean, out)
    return check


def _duplicate(rows: Callable[[bytes], list[dict]], column: str):
    def check(clean: bytes, out: bytes) -> None:
        counts = Counter(r[column] for r in rows(out))
        assert list(counts.values()).count(2) == 1 and max(counts.values()) == 2
        assert len(set(r[column] for r in rows(clean))) == len(rows(clean))
    return check


# --------------------------------------------------------------------------- OM specifics
def _om_no_totals(clean: bytes, out: bytes) -> None:
    assert read_xlsx(out, "Instroom")[2] == [] and len(om_rows(out)) == len(om_rows(clean))


def _om_formula_totals(clean: bytes, out: bytes) -> None:
    ws = load_workbook(io.BytesIO(out))["Instroom"]
    last = list(ws.iter_rows())[-1]
    assert str(last[0].value).startswith("Totaal")
    assert sum(c.data_type == "f" for c in last) == 2
    assert len(om_rows(out)) == len(om_rows(clean))


def _om_text_dates(clean: bytes, out: bytes) -> None:
    before, after = om_rows(clean), om_rows(out)
    assert all(isinstance(r["instroomdatum"], str) for r in after)
    assert [as_date(r["instroomdatum"]) for r in after] == [as_date(r["instroomdatum"]) for r in before]
    assert [as_date(r["beslisdatum"]) for r in after] == [as_date(r["beslisdatum"]) for r in before]


def _om_formula_data_cell(clean: bytes, out: bytes) -> None:
    ws = load_workbook(io.BytesIO(out))["Instroom"]
    column = [c.value for c in ws[1]].index("beslisdatum")
    formulas = [row[column] for row in ws.iter_rows(min_row=2) if row[column].data_type == "f"]
    assert len(formulas) == 1
    import python_calamine

    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(out)).get_sheet_by_name("Instroom")
    row = sheet.to_python()[formulas[0].row - 1]
    assert row[column] in ("", None)  # no cached value: a reader sees an empty cell


def _om_missing_sheet(clean: bytes, out: bytes) -> None:
    names = load_workbook(io.BytesIO(out)).sheetnames
    assert "Instroom" not in names and "Blad1" in names


def _om_missing_column(clean: bytes, out: bytes) -> None:
    header = read_xlsx(out, "Instroom")[0]
    assert "beslissing" not in header and "beslisdatum" in header


def _om_csv(clean: bytes, out: bytes) -> None:
    assert not zipfile.is_zipfile(io.BytesIO(out))
    parsed = read_csv(out)
    assert parsed.header[0] == "parketnummer" and len(parsed.rows) == len(om_rows(clean)) + 1


# --------------------------------------------------------------------------- RIEC specifics
def _riec_missing_sheet(clean: bytes, out: bytes) -> None:
    assert "Casussen" not in load_workbook(io.BytesIO(out)).sheetnames


def _riec_text_dates(clean: bytes, out: bytes) -> None:
    rows = read_xlsx(out, "Casussen")[1]
    assert all(isinstance(r["startdatum"], str) for r in rows)
    assert ([as_date(r["startdatum"]) for r in rows]
            == [as_date(r["startdatum"]) for r in read_xlsx(clean, "Casussen")[1]])


# --------------------------------------------------------------------------- activiteiten specifics
def _act_cp1252(clean: bytes, out: bytes) -> None:
    with pytest.raises(UnicodeDecodeError):
        out.decode("utf-8")
    assert "Café" in out.decode("cp1252") and "Súdwest" in out.decode("cp1252")
    assert decode(out)[1] == "cp1252"


def _act_other_delimiter(clean: bytes, out: bytes) -> None:
    first_clean, first_out = clean.split(b"\n", 1)[0], out.split(b"\n", 1)[0]
    assert (b";" in first_clean) != (b";" in first_out)
    assert read_activiteiten(out) == read_activiteiten(clean)


def _act_formula_titles(clean: bytes, out: bytes) -> None:
    titles = {r["titel"] for r in read_activiteiten(out)}
    assert {"=1+1 quiz", "+Veilig online 55+", "-Inloopspreekuur", "@Bibliotheek: spreekuur"} <= titles
    if out[:2] == b"PK":
        ws = load_workbook(io.BytesIO(out)).worksheets[0]
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def _act_added_row(clean: bytes, out: bytes) -> None:
    assert len(read_activiteiten(out)) == len(read_activiteiten(clean)) + 1
    assert read_activiteiten(out)[: len(read_activiteiten(clean))] == read_activiteiten(clean)


def _act_missing_column(clean: bytes, out: bytes) -> None:
    assert "type" not in read_activiteiten(out)[0] and "titel" in read_activiteiten(out)[0]


# --------------------------------------------------------------------------- fraudemeldingen specifics
def _fm_partner(clean: bytes, out: bytes) -> None:
    a, b = json.loads(clean), json.loads(out)
    assert a["partner"] == "fraudehelpdesk" and b["partner"] != a["partner"] and b["records"] == a["records"]


def _fm_periode(clean: bytes, out: bytes) -> None:
    a, b = json.loads(clean), json.loads(out)
    assert a["periode"] == "2025-11" and b["periode"] != "2025-11" and b["records"] == a["records"]


def _fm_invalid_json(clean: bytes, out: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def _fm_code_variants(clean: bytes, out: bytes) -> None:
    codes = [r["gemeente"] for r in json.loads(out)["records"]]
    assert any(c.isdigit() and len(c) == 4 for c in codes) and any(c.isdigit() and len(c) < 4 for c in codes)


# --------------------------------------------------------------------------- CBS specifics
def _vm_dots(clean: bytes, out: bytes) -> None:
    def count(d):
        return sum(r["waarde"] == "." for r in read_csv(d, ",").rows)
    assert count(out) == count(clean) + 5


def _semicolon(clean: bytes, out: bytes) -> None:
    header = out.split(b"\n", 1)[0]
    assert b"," not in header and b";" in header


CHECKS: dict[str, tuple[str, Callable[[bytes, bytes], None]]] = {
    "om_missing_totaal_row": (OM_KEY, _both(accepted(om_problems), _om_no_totals)),
    "om_formula_cells": (OM_KEY, _both(accepted(om_problems), _om_formula_totals)),
    "om_text_dates": (OM_KEY, _both(accepted(om_problems), _om_text_dates)),
    "om_formula_in_data_cell": (OM_KEY, _both(rejected(om_problems, "beslisdatum missing"), _om_formula_data_cell)),
    "om_instroomdatum_outside_quarter": (OM_KEY, rejected(om_problems, "outside quarter")),
    "om_beslisdatum_before_instroomdatum": (OM_KEY, rejected(om_problems, "before instroomdatum")),
    "om_missing_beslisdatum": (OM_KEY, rejected(om_problems, "beslisdatum missing")),
    "om_invalid_beslissing": (OM_KEY, rejected(om_problems, "beslissing invalid")),
    "om_invalid_categorie": (OM_KEY, rejected(om_problems, "categorie invalid")),
    "om_unknown_gemeente_code": (OM_KEY, rejected(om_problems, "pleeggemeente unknown")),
    "om_duplicate_parketnummer": (OM_KEY, _duplicate(om_rows, "parketnummer")),
    "om_missing_instroom_sheet": (OM_KEY, _om_missing_sheet),
    "om_missing_required_column": (OM_KEY, _om_missing_column),
    "om_csv_instead_of_xlsx": (OM_KEY, _om_csv),

    "riec_text_dates": (RIEC_KEY, _both(accepted(riec_problems), _riec_text_dates)),
    "riec_gemeente_outside_district": (RIEC_KEY, rejected(riec_problems, "outside district")),
    "riec_afgerond_without_einddatum": (RIEC_KEY, rejected(riec_problems, "einddatum missing")),
    "riec_einddatum_before_startdatum": (RIEC_KEY, rejected(riec_problems, "einddatum before")),
    "riec_invalid_fase": (RIEC_KEY, rejected(riec_problems, "fase invalid")),
    "riec_invalid_district": (RIEC_KEY, rejected(riec_problems, "district")),
    "riec_negative_count": (RIEC_KEY, rejected(riec_problems, "bestuurlijke_rapportages invalid")),
    "riec_duplicate_casusnummer": (RIEC_KEY, _duplicate(lambda d: read_xlsx(d, "Casussen")[1], "casusnummer")),
    "riec_missing_sheet": (RIEC_KEY, _riec_missing_sheet),

    "activiteiten_windows_1252": ("act_csv", _both(accepted(act_problems), _act_cp1252)),
    "activiteiten_other_delimiter": ("act_csv", _act_other_delimiter),
    "activiteiten_formula_like_titles": ("act", _both(accepted(act_problems), _act_formula_titles)),
    "activiteiten_other_gemeente": ("act", _both(rejected(act_problems, "differs from folder"), _act_added_row)),
    "activiteiten_invalid_type": ("act", rejected(act_problems, "type invalid")),
    "activiteiten_invalid_doelgroep": ("act", rejected(act_problems, "doelgroep invalid")),
    "activiteiten_negative_bereik": ("act", rejected(act_problems, "bereik invalid")),
    "activiteiten_missing_titel": ("act", rejected(act_problems, "titel empty")),
    "activiteiten_invalid_date": ("act", rejected(act_problems, "datum invalid")),
    "activiteiten_invalid_onderbouwd": ("act", rejected(act_problems, "onderbouwd invalid")),
    "activiteiten_missing_required_column": ("act", _act_missing_column),

    "fraudemeldingen_code_variants": (FM_KEY, _both(accepted(fm_problems), _fm_code_variants)),
    "fraudemeldingen_partner_mismatch": (FM_KEY, _fm_partner),
    "fraudemeldingen_periode_mismatch": (FM_KEY, _fm_periode),
    "fraudemeldingen_invalid_json": (FM_KEY, _fm_invalid_json),
    "fraudemeldingen_gedupeerden_above_meldingen": (FM_KEY, rejected(fm_problems, "gedupeerden invalid")),
    "fraudemeldingen_negative_schade": (FM_KEY, rejected(fm_problems, "schade invalid")),
    "fraudemeldingen_unknown_fraudetype": (FM_KEY, rejected(fm_problems, "fraudetype invalid")),
    "fraudemeldingen_unknown_gemeente": (FM_KEY, rejected(fm_problems, "gemeente unknown")),
    "fraudemeldingen_missing_field": (FM_KEY, rejected(fm_problems, "meldingen invalid")),

    "vm_dot_values": (VM_KEY, _both(accepted(vm_problems), _vm_dots)),
    "vm_decimal_comma": (VM_KEY, rejected(vm_problems, "waarde invalid")),
    "vm_percentage_out_of_range": (VM_KEY, rejected(vm_problems, "waarde invalid")),
    "vm_unknown_region": (VM_KEY, rejected(vm_problems, "regio unknown")),
    "vm_invalid_indicator": (VM_KEY, rejected(vm_problems, "indicator invalid")),
    "vm_semicolon_delimiter": (VM_KEY, _semicolon),
    "bevolking_15plus_above_inwoners": (BEV_KEY, rejected(bev_problems, "inwoners_15plus invalid")),
    "bevolking_zero_inwoners": (BEV_KEY, rejected(bev_problems, "inwoners invalid")),
    "bevolking_unknown_gemeente": (BEV_KEY, rejected(bev_problems, "gemeente unknown")),
    "bevolking_semicolon_delimiter": (BEV_KEY, _semicolon),
}


def _activity_samples(clean_files: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    csvs = [(k, v) for k, v in sorted(clean_files.items()) if k.startswith("gemeenten/") and k.endswith(".csv")]
    xlsxs = [(k, v) for k, v in sorted(clean_files.items()) if k.startswith("gemeenten/") and k.endswith(".xlsx")]
    return {"csv": max(csvs, key=lambda kv: len(kv[1])), "xlsx": max(xlsxs, key=lambda kv: len(kv[1]))}


def _cases() -> list[tuple[str, str]]:
    out = []
    for name, (source, _) in sorted(CHECKS.items()):
        if source == "act":
            out += [(name, "csv"), (name, "xlsx")]
        elif source == "act_csv":
            out.append((name, "csv"))
        else:
            out.append((name, ""))
    return out


@pytest.mark.parametrize(("name", "variant"), _cases())
def test_feed_defect_does_what_it_says(name: str, variant: str, clean_files) -> None:
    source, check = CHECKS[name]
    if source.startswith("act"):
        key, clean = _activity_samples(clean_files)[variant]
    else:
        clean = clean_files[source]
    defect = DEFECTS[name]
    out = defect(clean)
    assert out != clean
    check(clean, out)
    assert defect(clean) == out  # deterministic

