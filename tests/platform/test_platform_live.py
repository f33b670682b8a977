"""The platform for real: `infopositie platform up` on a fresh scratch warehouse, a police month
dropped into the landing zone the way a partner drops it, its rows awaited in
marts.fct_registraties, `platform down`, and no process of the run left behind.

Once with the LocalExecutor and once with two Celery workers on the Redis at 127.0.0.1:6379 (in CI
it must answer; elsewhere the Celery test skips without it). The commands run as a user runs them,
in child processes with the test's environment; the drop-to-marts time is printed (`-s`)."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from infopositie.platform import leftover_processes
from ingest.landing import LocalLandingZone
from synthetic.common import Month
from synthetic.politie import generate_police
from tests.conftest import create_scratch_database, drop_database

CLI = str(Path(sys.executable).parent / "infopositie")
REDIS = ("127.0.0.1", 6379)
# The promise to partners: a drop is in the marts within 10 minutes with default settings.
DROP_TO_MARTS_S = 600


def _cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, "platform", *args], env=env, capture_output=True, text=True, timeout=timeout)


def _redis_answers() -> bool:
    import socket

    try:
        with socket.create_connection(REDIS, timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture()
def platform_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A home, landing zone, key and warehouse of the test's own; the Airflow metadata database
    (`<warehouse>_airflow`, created and migrated by `up`) is dropped with the warehouse."""
    url = create_scratch_database("platform")
    env = {**os.environ, "INFOPOSITIE_HOME": str(tmp_path / "home"), "WAREHOUSE_URL": url,
           "INFOPOSITIE_LANDING": str(tmp_path / "store"), "INFOPOSITIE_PSEUDONYM_KEY": secrets.token_hex(32),
           "INFOPOSITIE_ARCHIVE_KEY": secrets.token_hex(32),
           # The triggerer looks every 5 s instead of 30 s: the test waits less, nothing else changes.
           "INFOPOSITIE_LANDING_POLL_SECONDS": "5"}
    for key in ("AIRFLOW_HOME", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"):
        env.pop(key, None)
    yield env
    _cli(env, "down", timeout=120)  # also when the test failed half-way
    drop_database(url)
    drop_database(make_conninfo(url, dbname=f"{conninfo_to_dict(url)['dbname']}_airflow"))


def _drop_police_month(landing: str) -> tuple[str, int]:
    (key, data), = generate_police(11, [Month.parse("2026-10")])
    LocalLandingZone(Path(landing).parent).put(key, data)  # `landing` is the zone's landing area
    return key, data.count(b"\n") - 1


def _wait_for_marts(url: str, deadline_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        with psycopg.connect(url, autocommit=True) as conn:
            if (conn.execute("select to_regclass('marts.fct_registraties')").fetchone()[0]
                    and conn.execute("select exists (select from marts.fct_registraties)").fetchone()[0]):
                return time.monotonic() - started
        time.sleep(3)
    raise AssertionError(f"no rows in marts.fct_registraties {deadline_s:.0f}s after the drop")


def _wait_for_reporting(airflow_url: str, url: str, after: str, deadline_s: float) -> dict[str, Any]:
    """The dbt_build run the drop triggered, once it has finished, with its task instances; and
    the warehouse's record of that build (reporting.verwerkingen)."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        runs = _get(f"{airflow_url}/api/v2/dags/dbt_build/dagRuns?order_by=-start_date&limit=5")["dag_runs"]
        done = [r for r in runs if r.get("start_date") and r["start_date"] > after
                and r["state"] in ("success", "failed")]
        if done:
            run = done[0]
            tis = _get(f"{airflow_url}/api/v2/dags/dbt_build/dagRuns/{run['dag_run_id']}/taskInstances"
                       "?limit=1000")["task_instances"]
            with psycopg.connect(url, autocommit=True) as conn:
                build = conn.execute("select status, selectie from reporting.verwerkingen"
                                     " order by klaar_op desc limit 1").fetchone()
            return {"run": run, "task_instances": tis, "build": build, "seconds": time.monotonic() - started}
        time.sleep(3)
    raise AssertionError(f"the dbt_build run after the drop did not finish within {deadline_s:.0f}s")


def _get(url: str) -> Any:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _airflow_ui_lists(airflow_url: str, dag_ids: list[str], screenshot: Path) -> None:
    """Open the Airflow UI in Debian's Chromium (Playwright) and find every DAG on its DAG list."""
    from playwright.sync_api import sync_playwright

    from tests.dashboards.browser import LAUNCH_ARGS, require

    path = require("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.goto(f"{airflow_url}/dags?limit=50", wait_until="load")
            for dag_id in dag_ids:
                page.get_by_text(dag_id, exact=True).first.wait_for(timeout=60_000)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()


def _up_drop_down(env: dict[str, str], *up_args: str, while_up: Any = None) -> dict[str, Any]:
    started = time.monotonic()
    up = _cli(env, "up", "--json", *up_args)
    assert up.returncode == 0, up.stderr[-4000:]
    info = json.loads(up.stdout)
    up_s = time.monotonic() - started
    state = json.loads((Path(env["INFOPOSITIE_HOME"]) / "platform" / "state.json").read_text())

    health = json.loads(subprocess.run(["curl", "-sf", f"{info['airflow_url']}/api/v2/monitor/health"],
                                       capture_output=True, text=True, timeout=30).stdout)
    assert health["scheduler"]["status"] == "healthy", health
    assert info["warehouse_url"] == env["WAREHOUSE_URL"]

    dropped = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    key, rows = _drop_police_month(info["landing"])
    latency = _wait_for_marts(env["WAREHOUSE_URL"], DROP_TO_MARTS_S)
    built = _wait_for_reporting(info["airflow_url"], env["WAREHOUSE_URL"], dropped, DROP_TO_MARTS_S)
    status = json.loads(_cli(env, "status", "--json").stdout)
    print(f"\n{info['executor']}: up {up_s:.0f}s; {key} ({rows} rows) in marts.fct_registraties "
          f"{latency:.0f}s after the drop, dbt run done (reporting refreshed) {latency + built['seconds']:.0f}s "
          f"after the drop ({built['run']['state']})")
    if while_up:
        while_up(info)

    down = _cli(env, "down", timeout=180)
    assert down.returncode == 0, down.stderr[-2000:]
    assert leftover_processes(state["run_id"]) == {}
    assert not (Path(env["INFOPOSITIE_HOME"]) / "platform" / "state.json").exists()
    return {"info": info, "status": status, "latency": latency, "built": built}


@pytest.mark.slow
def test_a_drop_reaches_the_marts_on_the_local_executor(platform_env: dict[str, str]) -> None:
    from infopositie.orchestrate import DBT_DAG_ID, RETENTION_DAG_ID, feed_specs, ingest_dag_id

    dag_ids = [DBT_DAG_ID, RETENTION_DAG_ID, *(ingest_dag_id(spec["feed"]) for spec in feed_specs())]
    run = _up_drop_down(platform_env, while_up=lambda info: _airflow_ui_lists(
        info["airflow_url"], dag_ids, Path(platform_env["INFOPOSITIE_HOME"]).parent / "airflow-dags.png"))
    assert run["info"]["executor"] == "local"
    assert set(run["status"]["processes"]) == {"api-server", "scheduler", "dag-processor", "triggerer"}
    # The drop's build: green, one task per model, recorded where `platform status` and the
    # deliveries dashboard read it. On a new warehouse the first build is a complete one (a
    # selective build needs one to build on; tests/dbt/test_selective_build.py covers the rest).
    built = run["built"]
    assert built["run"]["state"] == "success", built["run"]
    assert built["build"] == ("geslaagd", None)
    model_tasks = [ti for ti in built["task_instances"] if ti["task_id"].endswith("_run")]
    assert len(model_tasks) > 40 and all(ti["state"] == "success" for ti in model_tasks)
    assert run["status"]["last_build"]["status"] == "geslaagd"


@pytest.mark.slow
def test_a_drop_reaches_the_marts_on_two_celery_workers(platform_env: dict[str, str]) -> None:
    if not _redis_answers():
        if os.environ.get("CI"):
            pytest.fail("CI runs the Celery test: no Redis answers at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")
    import redis

    db = 7
    # A queue of this run's own: platforms of other checkouts on the same Redis database never
    # take each other's tasks.
    queue = platform_env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"] = f"test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=db)
    try:
        run = _up_drop_down(platform_env, "--executor", "celery", "--broker",
                            f"redis://{REDIS[0]}:{REDIS[1]}/{db}", "--workers", "2")
        assert run["info"]["executor"] == "celery"
        workers = [name for name in run["status"]["processes"] if name.startswith("celery-worker")]
        assert len(workers) == 2 and all(run["status"]["processes"][w]["running"] for w in workers)
        # Celery's bindings for the run's queue are in that Redis database.
        assert client.keys(f"*{queue}*"), client.keys("*")[:20]
    finally:
        for key in client.keys(f"*{queue}*"):
            client.delete(key)
