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


def _up_drop_down(env: dict[str, str], *up_args: str) -> dict[str, Any]:
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

    key, rows = _drop_police_month(info["landing"])
    latency = _wait_for_marts(env["WAREHOUSE_URL"], DROP_TO_MARTS_S)
    status = json.loads(_cli(env, "status", "--json").stdout)
    print(f"\n{info['executor']}: up {up_s:.0f}s; {key} ({rows} rows) in marts.fct_registraties "
          f"{latency:.0f}s after the drop")

    down = _cli(env, "down", timeout=180)
    assert down.returncode == 0, down.stderr[-2000:]
    assert leftover_processes(state["run_id"]) == {}
    assert not (Path(env["INFOPOSITIE_HOME"]) / "platform" / "state.json").exists()
    return {"info": info, "status": status, "latency": latency}


@pytest.mark.slow
def test_a_drop_reaches_the_marts_on_the_local_executor(platform_env: dict[str, str]) -> None:
    run = _up_drop_down(platform_env)
    assert run["info"]["executor"] == "local"
    assert set(run["status"]["processes"]) == {"api-server", "scheduler", "dag-processor", "triggerer"}


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
