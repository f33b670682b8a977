"""The parse sandbox's child (ingest/sandbox.py) parses without pandas: pyarrow's first array would
otherwise import it in every child, about a second per workbook or JSON file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from config import PROJECT_ROOT
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


def test_the_parse_child_does_not_run_the_parents_main_module_again(tmp_path: Path) -> None:
    # multiprocessing has each child import the parent's __main__ again (pytest, the command line,
    # an Airflow task runner): per workbook that cost the parent's imports. The script notes every
    # time it runs; as the parent's main module it runs once, and a child would add "__mp_main__".
    ran = tmp_path / "ran.txt"
    script = tmp_path / "parent.py"
    script.write_text(
        "from pathlib import Path\n"
        f"with Path({str(ran)!r}).open('a') as f:\n"
        "    f.write(__name__ + '\\n')\n"
        "if __name__ == '__main__':\n"
        "    from ingest import sandbox\n"
        "    print(sandbox.run_limited(len, b'abc'), sandbox.run_limited(len, b'de'))\n")
    done = subprocess.run([sys.executable, str(script)], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["3", "2"]
    assert ran.read_text().split() == ["__main__"]
