"""The OM workbook part of `make bench`: a 200,000-row `Instroom` sheet read with the Rust-based
calamine reader through the full ingest, against openpyxl merely reading the same sheet."""
from __future__ import annotations

import io
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from openpyxl import Workbook, load_workbook

from ingest.contracts import load_contract

_CONTRACT = load_contract("om_instroom")
CATEGORIES = _CONTRACT.column("categorie").values
DECISIONS = _CONTRACT.column("beslissing").values


def write_om_workbook(path: Path, rows: int, seed: int = 1) -> Path:
    """One valid quarter (2026Q1) with `rows` cases, in openpyxl's streaming mode."""
    from warehouse.reference import current_gemeenten

    rng = np.random.default_rng(seed)
    codes = [g["gemeentecode"] for g in current_gemeenten()]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Instroom")
    ws.append([c.name for c in _CONTRACT.columns])
    start = date(2026, 1, 1)
    days = rng.integers(0, 90, rows)
    decided = rng.integers(0, 6, rows)
    for i in range(rows):
        instroom = start + timedelta(days=int(days[i]))
        decision = DECISIONS[decided[i]]
        ws.append([f"16/{i:06d}-26", instroom, codes[i % len(codes)], CATEGORIES[i % 2], "art. 326 Sr", decision,
                   None if decision == "geen beslissing" else instroom + timedelta(days=10)])
    ws.append(["Totaal", rows])
    wb.save(path)
    return path


def bench_om(work: Path, rows: int) -> None:
    from ingest.landing import LocalLandingZone
    from ingest.pipeline import ingest_landing
    from ingest.readers import read_xlsx
    from tests.conftest import create_scratch_database, drop_database

    t = time.perf_counter()
    path = write_om_workbook(work / "om_instroom_2026Q1.xlsx", rows)
    print(f"generated OM workbook, {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - t:.1f} s")
    data = path.read_bytes()
    t = time.perf_counter()
    read_xlsx(_CONTRACT, data)
    calamine_s = time.perf_counter() - t
    t = time.perf_counter()
    sheet = load_workbook(io.BytesIO(data), read_only=True)["Instroom"]
    sum(1 for _ in sheet.iter_rows(values_only=True))
    openpyxl_s = time.perf_counter() - t
    url = create_scratch_database("benchom")
    try:
        zone = LocalLandingZone(work / "om-store")
        zone.put("om/instroom/om_instroom_2026Q1.xlsx", data)
        t = time.perf_counter()
        (result,) = ingest_landing(zone, url)
        ingest_s = time.perf_counter() - t
        assert result.status == "loaded" and result.rows_loaded == rows, result.as_dict()
    finally:
        drop_database(url)
    print(f"OM workbook read (calamine)     : {calamine_s:6.2f} s  {rows / calamine_s:>10,.0f} rows/s")
    print(f"OM workbook read (openpyxl)     : {openpyxl_s:6.2f} s  {rows / openpyxl_s:>10,.0f} rows/s "
          "(for comparison only)")
    print(f"OM workbook full ingest         : {ingest_s:6.2f} s  {rows / ingest_s:>10,.0f} rows/s")
