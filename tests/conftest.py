"""Shared fixtures: a real, freshly migrated Postgres database per test session.

The server is the embedded default (started on demand) unless WAREHOUSE_URL points at another
Postgres; either way each session gets its own new database, so runs never see each other's data.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from config import DBT_PROJECT_DIR, ensure_runtime_dir

# Lower layers never import infopositie (tests/test_architecture.py), so these do not read
# INFOPOSITIE_DBT_TARGET before it is set below.
from ingest.raw_tables import ensure_raw_tables
from warehouse.connection import warehouse_url as default_warehouse_url
from warehouse.migrate import migrate

ensure_runtime_dir()
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel workers share the checkout: each writes its dbt output (manifest, run results,
    # docs) in a folder of its own. Set before anything imports infopositie.dbt.
    os.environ["INFOPOSITIE_DBT_TARGET"] = str(DBT_PROJECT_DIR / "target" /
                                               os.environ["PYTEST_XDIST_WORKER"])

# Tests that share state beyond their own database run on one worker each (pytest-xdist
# --dist loadgroup): the warehouse built end to end by `built_warehouse_url` (dashboards and
# governance), each dbt and each dags test module with the warehouse, manifest or DagBag its
# fixtures build, the S3 tests with their SeaweedFS, and the live platform tests. The Airflow tests
# share no Airflow home or metadata database (each test or module makes its own; the S3 demo uses
# the warehouse server's `airflow` database, which no other test touches), so the dags modules and
# the S3 tests may run at the same time on the two workers.
_GROUPS = {"dashboards": "built-warehouse", "test_governance.py": "built-warehouse",
           "s3": "s3", "platform": "platform"}
_GROUP_PER_MODULE = ("dbt", "dags")

# The groups in the order the workers take them up: longest first, so that the two workers end
# together (pytest-xdist would otherwise start the groups with the most tests first, the live
# platform's two tests late). Groups not named here follow, then the tests outside a group in file
# order, which fill the end. Minutes each took on one worker, measured on 2026-12-05 at a load of
# 6 to 17 on the 2-core machine (only the order matters; README, "The two commands").
_LONGEST_FIRST = (
    "built-warehouse",  # 19.7 (generate, ingest and build 21 months of every feed: 11.2; 135 tests)
    "platform",  # 21.4 (`platform up`, a drop, the dbt DAG, `down`; twice). Second: with two
    # tests it takes a second group along at once, and the first worker is busy for long.
    "s3",  # 17.7 (the whole demo with the landing zone in the bucket: 16.3)
    "dbt:test_kpi_and_rls.py",  # 13.8 (generate and ingest 34 months of every feed, two builds)
    "dags:test_run_dags.py",  # 11.1 (four dag.test() runs, one of them the dbt DAG)
    "dbt:test_fit_darknumber_catalogue.py",  # 10.8
    "dags:test_dag_integrity.py",  # 8.5
    "dbt:test_feed_staging.py",  # 6.3
    "dbt:test_selective_build.py",  # 3.5
    "dbt:test_dbt_build.py",  # 3.3
    "dbt:test_retention.py",  # 1.8
)


def _group_of(item: pytest.Item, tests_dir: Path) -> str | None:
    parts = Path(item.fspath).resolve().relative_to(tests_dir).parts
    return f"{parts[0]}:{parts[-1]}" if parts[0] in _GROUP_PER_MODULE else _GROUPS.get(parts[0])


@pytest.hookimpl(tryfirst=True)  # before xdist turns the groups into node id suffixes
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).resolve().parent
    groups = {item.nodeid: _group_of(item, tests_dir) for item in items}
    for item in items:
        if groups[item.nodeid]:
            item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    # A stable sort: within a group (and a module) the tests keep their file order.
    rank = {group: i for i, group in enumerate(_LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(groups[item.nodeid] or "", len(rank) + (not groups[item.nodeid])))

_EMBEDDED_WAS_RUNNING = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    # The controller (or the only process, without xdist) notes whether the embedded default server
    # ran before the session; workers start it on demand. Only the controller stops it, at the very
    # end, when no worker can still be using it.
    if not hasattr(config, "workerinput") and not os.environ.get("WAREHOUSE_URL"):
        from config import load_settings
        from warehouse.embedded import EmbeddedWarehouse

        config.stash[_EMBEDDED_WAS_RUNNING] = EmbeddedWarehouse(load_settings().pgdata)._running_port() is not None


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or config.stash.get(_EMBEDDED_WAS_RUNNING, True):
        return
    from config import load_settings
    from warehouse.embedded import EmbeddedWarehouse

    EmbeddedWarehouse(load_settings().pgdata).stop()



def _with_database(url: str, dbname: str) -> str:
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


def create_scratch_database(prefix: str = "test") -> str:
    base = default_warehouse_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_with_database(base, "postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = _with_database(base, name)
    migrate(url)
    ensure_raw_tables(url)
    return url


def build_without_unit_tests(url: str, select: str | None = None, *, full_refresh: bool = False) -> int:
    """`dbt_build` minus the dbt unit tests, for fixtures that only need the warehouse built.

    A unit test runs its model on the rows written in its YAML, never on the warehouse's data, so it
    gives the same verdict in every build; yet the 55 of them are about half of a build's time.
    The builds whose tests look at the unit tests run them all (tests/dbt/conftest.py `dbt_built`,
    test_feed_staging.py, test_fit_darknumber_catalogue.py), as `infopositie build` and the dbt DAG
    always do; the other fixtures build models, seeds and data tests only."""
    from infopositie.dbt import dbt_build, environment

    with environment({"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}):  # dbt's --exclude-resource-type
        return dbt_build(url, select, full_refresh=full_refresh)


def drop_database(url: str) -> None:
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def warehouse_url() -> Iterator[str]:
    url = create_scratch_database()
    yield url
    if not os.environ.get("KEEP_TEST_DATABASE"):
        drop_database(url)


@pytest.fixture(scope="session")
def pseudonym_key(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A test key, set through the environment exactly as production does."""
    key = bytes(range(32))
    os.environ["INFOPOSITIE_PSEUDONYM_KEY"] = key.hex()
    # Every ingest seals the originals it keeps; tests that load set both keys as production does.
    os.environ["INFOPOSITIE_ARCHIVE_KEY"] = ARCHIVE_KEY.hex()
    return key


ARCHIVE_KEY = bytes(range(100, 132))


@pytest.fixture(scope="session")
def archive_key(pseudonym_key: bytes) -> bytes:
    """The key the kept originals are sealed with in tests (set by `pseudonym_key`)."""
    return ARCHIVE_KEY


@pytest.fixture(scope="session")
def template_database(warehouse_url: str) -> str:
    """A migrated, empty database to clone: cloning takes milliseconds, migrating does not."""
    name = f"tmpl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_with_database(warehouse_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{conninfo_to_dict(warehouse_url)["dbname"]}"')
    return name


@pytest.fixture()
def fresh_warehouse_url(warehouse_url: str, template_database: str) -> Iterator[str]:
    """A database of its own, for tests that must start from an empty warehouse."""
    name = f"testfn_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_with_database(warehouse_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{template_database}"')
    url = _with_database(warehouse_url, name)
    yield url
    drop_database(url)


@pytest.fixture()
def db(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def built_warehouse_url(tmp_path_factory: pytest.TempPathFactory, pseudonym_key: bytes) -> Iterator[str]:
    """A warehouse built end to end from synthetic deliveries: generate -> ingest -> dbt build.

    Shared by the tests that need real marts and reporting relations (dashboards, documents,
    row-level security). Two years of data so that changes against last year exist."""
    from ingest.contracts import all_contracts
    from ingest.landing import LocalLandingZone
    from ingest.pipeline import ingest_landing
    from synthetic import generate

    url = create_scratch_database("built")
    zone = LocalLandingZone(tmp_path_factory.mktemp("built-store"))
    feeds = [c.feed for c in all_contracts()]
    generate(zone, start="2025-01", end="2026-09", seed=7, feeds=feeds)
    results = ingest_landing(zone, url)
    assert results and all(r.status == "loaded" for r in results), [r.as_dict() for r in results
                                                                    if r.status != "loaded"]
    assert build_without_unit_tests(url) == 0, "dbt build failed on the synthetic data set"
    yield url
    if not os.environ.get("KEEP_TEST_DATABASE"):
        drop_database(url)
