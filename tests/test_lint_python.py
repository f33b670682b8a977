"""The Python of the repository follows the rules in pyproject.toml ([tool.ruff]): `ruff check .`
is clean, so a finding fails the suite the way a broken test does."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from config import PROJECT_ROOT


def test_ruff_check_is_clean() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "--no-cache", "--output-format", "concise", "."],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
