"""The installed packages come with their bytecode. Where PYTHONDONTWRITEBYTECODE is set (the
image sets it, and so do the machines the README's figures come from) Python never writes .pyc
files, and every process that imports Airflow, Cosmos and dbt compiled them from source again:
12-13 s instead of 5.7 s per Airflow task process. `make install` and the image compile them once."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Modules every Airflow task, dag.test() child or dbt run imports; checked without importing them.
HEAVY = ("airflow.models.dag", "airflow.sdk.execution_time.task_runner", "cosmos.operators.watcher",
         "dbt.cli.main", "great_expectations.core.expectation_suite", "sqlfluff.core.linter")


@pytest.mark.parametrize("module", HEAVY)
def test_the_virtualenv_holds_compiled_bytecode(module: str) -> None:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, module
    cached = Path(importlib.util.cache_from_source(spec.origin))
    assert cached.is_file(), f"{module}: no {cached.name} beside {spec.origin}; run `make install` again"
    assert cached.stat().st_size > 0
    assert sys.implementation.cache_tag in cached.name


def test_the_image_compiles_the_bytecode_its_containers_will_not_write() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"^ENV PYTHONDONTWRITEBYTECODE=1", dockerfile, re.M)
    sync = next(line for line in dockerfile.splitlines() if "uv pip sync" in line)
    assert "--compile-bytecode" in sync
