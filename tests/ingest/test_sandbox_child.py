"""The parse sandbox's child (ingest/sandbox.py) parses without pandas: pyarrow's first array would
otherwise import it in every child, about a second per workbook or JSON file."""
from __future__ import annotations

import json
import sys

from ingest import readers, sandbox
from ingest.contracts import Contract, load_contract


def _parse_and_report(contract: Contract, data: bytes) -> tuple[int, bool]:
    table, _ = readers.read_json(contract, data)
    return table.frame.num_rows, "pandas" in sys.modules


def test_the_parse_child_builds_arrow_tables_without_importing_pandas() -> None:
    contract = load_contract("fraudemeldingen")
    record = {"gemeente": "GM0344", "fraudetype": "phishing", "meldingen": 5, "gedupeerden": 3, "schade_eur": 100.5}
    data = json.dumps({"partner": "bank-a", "periode": "2025-11", "records": [record, record]}).encode()
    assert sandbox.run_limited(_parse_and_report, contract, data) == (2, False)
