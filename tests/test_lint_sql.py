"""The SQL of dbt_project follows the style in .sqlfluff: `sqlfluff lint dbt_project` is clean.

sqlfluff's dbt templater compiles every model with dbt and connects to the warehouse while doing
so (see .sqlfluff), so the linter gets the build's own connection variables, derived from this
session's warehouse like every dbt invocation (infopositie/dbt.py), and its own dbt target
folder, so that it never writes over another process's manifest."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import PROJECT_ROOT
from infopositie.dbt import dbt_env


@pytest.mark.slow
def test_sqlfluff_lint_dbt_project_is_clean(warehouse_url: str, tmp_path: Path) -> None:
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    env = {**os.environ, **dbt_env(warehouse_url), "DBT_TARGET_PATH": str(tmp_path / "target")}
    result = subprocess.run([str(sqlfluff), "lint", "dbt_project"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
