"""The dbt project built for real, once per session, on a migrated warehouse of its own.

Its own database rather than the shared session one: the raw rows loaded here must not show up
in other tests' warehouses (tests/conftest.py clones `fresh_warehouse_url` from the session
database), and the build's outcome must not depend on what other tests loaded before it.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from infopositie.dbt import TARGET_DIR, dbt_build
from tests.conftest import create_scratch_database, drop_database
from tests.dbt.raw_data import DataSet, load_data_set

# What the shared session database must hold for the transformer role to run dbt unit tests:
# dbt-postgres materialises each unit test's result in a TEMPORARY table.
TEMP_GRANT = "do $$ begin execute format('grant temporary on database %I to transformer', current_database()); end $$"


def transformer_may_create_temp_tables(conn: psycopg.Connection) -> bool:
    return conn.execute(
        "select has_database_privilege('transformer', current_database(), 'TEMPORARY')").fetchone()[0]


@dataclass(frozen=True)
class Build:
    url: str
    data: DataSet
    returncode: int
    seconds: float
    run_results: dict[str, Any]

    def results_of(self, resource_type: str) -> list[dict[str, Any]]:
        return [r for r in self.run_results["results"] if r["unique_id"].startswith(f"{resource_type}.")]


@pytest.fixture(scope="session")
def dbt_warehouse_url() -> Iterator[str]:
    url = create_scratch_database("dbt")
    yield url
    if not os.environ.get("KEEP_TEST_DATABASE"):
        drop_database(url)


@pytest.fixture(scope="session")
def dbt_built(dbt_warehouse_url: str) -> Build:
    warehouse_url = dbt_warehouse_url
    data = load_data_set(warehouse_url)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        if not transformer_may_create_temp_tables(conn):
            # Stand-in until the warehouse migrations grant it (test_transformer_may_create_temp_tables
            # fails meanwhile); without it every dbt unit test errors.
            conn.execute(TEMP_GRANT)
    started = time.monotonic()
    returncode = dbt_build(warehouse_url)
    seconds = time.monotonic() - started
    run_results = json.loads((TARGET_DIR / "run_results.json").read_text(encoding="utf-8"))
    print(f"dbt build (models + data tests + unit tests): {seconds:.1f}s wall,"
          f" {run_results['elapsed_time']:.1f}s dbt elapsed")
    return Build(warehouse_url, data, returncode, seconds, run_results)
