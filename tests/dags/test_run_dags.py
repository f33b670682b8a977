"""Runs the generated police ingest DAG for real (dag.test() in a child process, real Airflow metadata
database, real warehouse) against a scratch warehouse and a temporary local landing zone."""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from config import load_settings
from infopositie.dbt import code_version
from infopositie.orchestrate import (
    DBT_DAG_ID,
    REPORTING_ASSET_URI,
    RETENTION_DAG_ID,
    ingest_dag_id,
    raw_asset_uri,
    run_dbt_dag,
    run_feed_dags,
    run_retention_dag,
)
from ingest.landing import LocalLandingZone

FEED = "politie_registraties"
DAG_ID = ingest_dag_id(FEED)
HEADER = ("registratienummer;registratiedatum;pleegdatum;pleeggemeente;wijk;soort_misdrijf;incidentcode;"
          "modus;registratiesoort;slachtoffer_type;slachtoffer_leeftijd;schadebedrag;omschrijving")
VALID_CSV = "\n".join([
    HEADER,
    "PL0900-2026000123;03-01-2026;29-12-2025;GM0344;WK034405;3.9.1 ;F636;marktplaatsfraude;aangifte;burger;34;"
    "250,00;Telefoon via Marktplaats betaald, niet geleverd",
    "PL0900-2026000124;04-01-2026;;0307;;3.7.4;F90;hacken;melding;ondernemer;;;",
    "PL0900-2026000125;17-01-2026;16-01-2026;GM0344;;1.4.4;;phishing;aangifte;burger;71;1.234,56;",
]) + "\n"


@pytest.fixture()
def airflow_db(fresh_warehouse_url: str) -> Iterator[str]:
    """A metadata database of its own on the same server, so test runs never show up in a local UI."""
    name = f"testairflow_{uuid.uuid4().hex[:10]}"
    admin = make_conninfo(fresh_warehouse_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    yield make_conninfo(fresh_warehouse_url, dbname=name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture()
def landing(tmp_path: Path, fresh_warehouse_url: str, airflow_db: str,
            monkeypatch: pytest.MonkeyPatch) -> LocalLandingZone:
    params = conninfo_to_dict(airflow_db)
    sqlalchemy_url = (f"postgresql+psycopg://{params['user']}@{params['host']}:{params['port']}/{params['dbname']}")
    monkeypatch.setenv("INFOPOSITIE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WAREHOUSE_URL", fresh_warehouse_url)
    monkeypatch.setenv("INFOPOSITIE_LANDING", str(tmp_path / "store"))
    monkeypatch.setenv("INFOPOSITIE_PSEUDONYM_KEY", secrets.token_hex(32))
    monkeypatch.setenv("INFOPOSITIE_ARCHIVE_KEY", secrets.token_hex(32))
    monkeypatch.delenv("AIRFLOW_HOME", raising=False)
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", sqlalchemy_url)
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC", sqlalchemy_url)
    return LocalLandingZone(tmp_path / "store")


def _asset_events(airflow_db: str, run_id: str, uri: str = raw_asset_uri(FEED)) -> list[dict]:
    with psycopg.connect(airflow_db) as conn:
        rows = conn.execute(
            "select e.source_task_id, e.extra from asset_event e join asset a on a.id = e.asset_id"
            " where a.uri = %s and e.source_run_id = %s", (uri, run_id)).fetchall()
    return [{"task": task, "extra": extra} for task, extra in rows]


@pytest.mark.slow
def test_feed_dag_loads_a_delivery_and_emits_the_asset(landing: LocalLandingZone, fresh_warehouse_url: str,
                                                      airflow_db: str) -> None:
    key = "politie/registraties/registraties_online_202601.csv"
    landing.put(key, VALID_CSV.encode("utf-8"))

    summary = run_feed_dags([FEED], settings=load_settings())
    run = summary[DAG_ID]
    print(f"\n{DAG_ID}: {run['state']} {run['tasks']}")

    assert run["state"] == "success"
    assert run["tasks"] == {"wait_for_files": "success", "ingest": "success"}
    assert [(d["file"], d["status"], d["rows_received"], d["rows_loaded"], d["rows_rejected"])
            for d in run["deliveries"]] == [(key, "loaded", 3, 3, 0)]
    with psycopg.connect(fresh_warehouse_url) as conn:
        audit = conn.execute("select delivery_id, status, rows_loaded, is_current, period from audit.deliveries"
                             " where feed = %s", (FEED,)).fetchall()
        raw_rows = conn.execute("select count(*) from raw.politie_registraties r join audit.deliveries d"
                                " using (delivery_id) where d.is_current").fetchone()[0]
    assert [(s, n, cur, p) for _, s, n, cur, p in audit] == [("loaded", 3, True, "2026-01")]
    assert raw_rows == 3
    assert landing.waiting() == []  # the original moved to the archive
    events = _asset_events(airflow_db, run["run_id"])
    assert [e["task"] for e in events] == ["ingest"]
    assert events[0]["extra"]["delivery_ids"] == [audit[0][0]]
    assert events[0]["extra"]["rows_loaded"] == 3


@pytest.mark.slow
def test_feed_dag_emits_nothing_when_nothing_was_loaded(landing: LocalLandingZone, airflow_db: str) -> None:
    # A name that breaks the agreement: the pipeline quarantines the file with a partner report.
    landing.put("politie/registraties/registraties_januari.csv", VALID_CSV.encode("utf-8"))

    refused = run_feed_dags([FEED], settings=load_settings())[DAG_ID]
    print(f"\nrefused only: {refused['state']} {refused['tasks']}")
    assert refused["tasks"] == {"wait_for_files": "success", "ingest": "skipped"}
    assert [d["status"] for d in refused["deliveries"]] == ["quarantined"]
    assert _asset_events(airflow_db, refused["run_id"]) == []

    # Nothing waiting, run by hand: the sensor skips at once instead of waiting for hours.
    idle = run_feed_dags([FEED], settings=load_settings())[DAG_ID]
    print(f"nothing waiting: {idle['state']} {idle['tasks']}")
    assert idle["tasks"] == {"wait_for_files": "skipped", "ingest": "skipped"}
    assert _asset_events(airflow_db, idle["run_id"]) == []


@pytest.mark.slow
def test_dbt_dag_builds_the_project_through_cosmos(landing: LocalLandingZone, airflow_db: str,
                                                  fresh_warehouse_url: str) -> None:
    landing.put("politie/registraties/registraties_online_202601.csv", VALID_CSV.encode("utf-8"))
    assert run_feed_dags([FEED], settings=load_settings())[DAG_ID]["state"] == "success"

    run = run_dbt_dag(settings=load_settings())[DBT_DAG_ID]
    failed = {task: state for task, state in run["tasks"].items() if state != "success"}
    print(f"\n{DBT_DAG_ID}: {run['state']}, {len(run['tasks'])} tasks, not successful: {failed or 'none'}")
    assert failed == {}, f"see {run['log']}"
    assert run["state"] == "success"
    assert len(run["tasks"]) > 2  # rendered per model from the manifest, not the one-task fallback
    events = _asset_events(airflow_db, run["run_id"], REPORTING_ASSET_URI)
    assert [e["task"] for e in events] == ["dbt_producer_watcher"]
    # The producer told the quarterly models which code runs, so the next build can skip the
    # quarters whose input did not change (dbt_project/macros/platform/kwartalen.sql).
    with psycopg.connect(fresh_warehouse_url, autocommit=True) as conn:
        versions = {r[0] for r in conn.execute("select distinct code_version from audit.kwartaal_invoer")}
    assert versions == {code_version()}


@pytest.mark.slow
def test_retention_dag_purges_the_expired_month_and_emits_the_feed_asset(
        landing: LocalLandingZone, fresh_warehouse_url: str, airflow_db: str) -> None:
    old = VALID_CSV.replace("-2026", "-2021").replace("-2025", "-2020")  # January 2021: expired in 2026-02
    landing.put("politie/registraties/registraties_online_202101.csv", old.encode("utf-8"))
    landing.put("politie/registraties/registraties_online_202601.csv", VALID_CSV.encode("utf-8"))
    assert run_feed_dags([FEED], settings=load_settings())[DAG_ID]["state"] == "success"

    run = run_retention_dag("2026-02-01", settings=load_settings())[RETENTION_DAG_ID]
    print(f"\n{RETENTION_DAG_ID}: {run['state']} {run['tasks']}")
    assert run["state"] == "success"
    assert run["tasks"][f"apply_{FEED}"] == "success"
    assert {state for task, state in run["tasks"].items() if task != f"apply_{FEED}"} == {"skipped"}
    with psycopg.connect(fresh_warehouse_url) as conn:
        periods = [p for (p,) in conn.execute("select d.period from raw.politie_registraties r"
                                              " join audit.deliveries d using (delivery_id) group by 1")]
        logged = conn.execute("select actor, rule from audit.purges group by 1, 2").fetchall()
    assert periods == ["2026-01"]
    assert logged == [("loader", "retention_years=5")]
    events = _asset_events(airflow_db, run["run_id"])
    assert [e["task"] for e in events] == [f"apply_{FEED}"]
    assert events[0]["extra"]["rows_removed"] == 3


@pytest.mark.slow
def test_a_failing_dbt_test_fails_the_build_and_skips_only_what_depends_on_it(
        landing: LocalLandingZone, fresh_warehouse_url: str, airflow_db: str) -> None:
    """The model tasks read the producer's batched node states (infopositie/dbt_watch.py): a data
    problem in one feed shows where it is, what depends on it is skipped, the rest is built, and
    the run fails without marking reporting as refreshed."""
    landing.put("politie/registraties/registraties_online_202601.csv", VALID_CSV.encode("utf-8"))
    assert run_feed_dags([FEED], settings=load_settings())[DAG_ID]["state"] == "success"
    # A value the contract would refuse, written past it: the source test on `modus` fails in dbt.
    with psycopg.connect(fresh_warehouse_url, autocommit=True) as conn:
        assert conn.execute("update raw.politie_registraties set modus = 'onbekend'").rowcount == 3

    run = run_dbt_dag(settings=load_settings())[DBT_DAG_ID]
    tasks = run["tasks"]
    print(f"\n{DBT_DAG_ID}: {run['state']}; " + ", ".join(
        f"{state} {sum(1 for s in tasks.values() if s == state)}" for state in sorted(set(tasks.values()))))
    print("failed:", sorted(t for t, s in tasks.items() if s == "failed"))
    assert run["state"] == "failed"
    assert tasks["dbt_producer_watcher"] == "failed"
    # dbt skipped the police staging model after its source test failed, and the task says so.
    assert tasks["stg_politie__registraties_run"] == "skipped"
    # Under dag.test() the model tasks keep their upstream trigger rules (dags/dbt_build.py).
    assert tasks["fct_registraties_run"] in ("skipped", "upstream_failed")
    assert tasks["stg_cbs__bevolking_run"] == "success"  # another feed's model is built
    assert tasks["fct_bevolking_run"] == "success"  # and what depends on it
    assert tasks["reporting_ready"] == "upstream_failed"
    assert not _asset_events(airflow_db, run["run_id"], REPORTING_ASSET_URI)
