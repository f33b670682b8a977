"""Fixtures for the dashboards and the per-gemeente document.

`reporting_url` is the real warehouse built end to end by the session fixture
`built_warehouse_url` (generate -> ingest -> dbt build, tests/conftest.py).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.dashboards.helpers import one_scope_specs
from tests.fixtures.fake_metabase import FakeMetabase

REPORTER_ROLE = "reporter_regio"


@pytest.fixture(scope="session")
def reporting_url(built_warehouse_url: str) -> str:
    return built_warehouse_url


@pytest.fixture()
def fake_metabase(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMetabase]:
    with FakeMetabase() as fake:
        monkeypatch.setenv("METABASE_ADMIN_EMAIL", fake.admin_email)
        monkeypatch.setenv("METABASE_ADMIN_PASSWORD", fake.admin_password)
        for name in ("METABASE_WAREHOUSE_HOST", "METABASE_WAREHOUSE_PORT", "METABASE_WAREHOUSE_DBNAME"):
            monkeypatch.delenv(name, raising=False)
        yield fake


@pytest.fixture()
def reporter(reporting_url: str) -> Iterator[psycopg.Connection]:
    """A read-only connection acting as the stuurgroep's role, as its Metabase connection does."""
    with psycopg.connect(reporting_url, autocommit=True) as conn:
        conn.execute(f"set role {REPORTER_ROLE}")
        conn.execute("set default_transaction_read_only = on")
        yield conn


@pytest.fixture(scope="session")
def one_scope(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The specs reduced to the local picture for the stuurgroep (tests/dashboards/helpers.py)."""
    return one_scope_specs(tmp_path_factory.mktemp("one-scope"))
