"""Excel workbooks with reproducible bytes.

openpyxl stamps the save time into docProps/core.xml and into every zip entry; both are fixed
here so that the same seed gives byte-identical workbooks.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.writer.excel import ExcelWriter

FIXED_TIME = datetime(2026, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class Formula(str):
    """A cell value that must be written as a formula (e.g. '=COUNTA(A2:A10)')."""


def workbook_bytes(sheets: Iterable[tuple[str, list[list[Any]]]], *, date_format: str = "dd-mm-yyyy") -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, (date, datetime)):
                    cell.number_format = date_format
                elif isinstance(value, str) and value.startswith("=") and not isinstance(value, Formula):
                    cell.data_type = "s"  # text such as '=Veilig online' must never become a formula
    return save(wb)


def load(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def save(wb: Workbook) -> bytes:
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "Infopositie synthetische data"
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return _repack(raw.getvalue())


def _repack(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def sheet_rows(data: bytes, sheet: str | None = None) -> list[list[Any]]:
    wb = load(data)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]
