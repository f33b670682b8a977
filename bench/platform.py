"""`make bench` (second part): the running platform, timed.

On a scratch warehouse filled with synthetic deliveries of every feed (BENCH_FROM..BENCH_TO):
1. plain `dbt build` in this process, twice, then the `dbt build` command as a user types it (its
   start-up and parse included, as the producer task pays them): the last two are the references,
   in the same state as step 2;
2. `infopositie platform up` (executor from BENCH_EXECUTOR, broker from BENCH_BROKER), then the
   `dbt_build` DAG triggered through the API on the same warehouse: dbt through Airflow, with one
   task per model in the UI (mode from INFOPOSITIE_DBT_EXECUTION_MODE, default watcher);
3. a police month dropped into the landing zone: seconds until its rows are in
   marts.fct_registraties and until the dbt run it triggered has finished (reporting refreshed);
then `platform down` and the scratch databases dropped. Prints figures; asserts nothing.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

CLI = str(Path(sys.executable).parent / "infopositie")


def _api(method: str, url: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def _wait_run(airflow: str, run_id: str | None = None, after: str | None = None, timeout: float = 1800) -> dict:
    """The dbt_build run `run_id` (or the first started after `after`) once it has finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = _api("GET", f"{airflow}/api/v2/dags/dbt_build/dagRuns?order_by=-start_date&limit=20")["dag_runs"]
        for run in runs:
            ours = (run["dag_run_id"] == run_id if run_id
                    else bool(after and run.get("start_date") and run["start_date"] > after))
            if ours and run["state"] in ("success", "failed"):
                return run
        time.sleep(2)
    raise TimeoutError("dbt_build run did not finish")


def _settle(airflow: str, timeout: float = 300) -> float:
    """Seconds until no task instance of any DAG is scheduled, queued or running (deferred ones
    wait in the triggerer and take no worker). Right after `platform up` every feed's watching run
    starts its sensor in a worker; a dbt run started then would be timed against that start-up."""
    started = time.monotonic()
    busy = "&".join(f"state={s}" for s in ("scheduled", "queued", "running"))
    while time.monotonic() - started < timeout:
        page = _api("GET", f"{airflow}/api/v2/dags/~/dagRuns/~/taskInstances?{busy}&limit=1")
        if page["total_entries"] == 0:
            break
        time.sleep(1)
    return time.monotonic() - started


# "worker": LocalExecutor's worker processes, whose finished children are the task processes.
_ROLES = ("api_server", "api-server", "scheduler", "dag-processor", "triggerer", "celery", "worker", "postgres")


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far per platform process kind, their finished children (task
    processes, dbt) included; Postgres as the sum of its processes."""
    import psutil

    used: dict[str, float] = {}
    for proc in psutil.process_iter(["cmdline", "name"]):
        try:
            line = " ".join(proc.info["cmdline"] or [proc.info["name"] or ""])
            role = next((r for r in _ROLES if r in line), None)
            if role is None:
                continue
            t = proc.cpu_times()
            used[role] = used.get(role, 0.0) + t.user + t.system + t.children_user + t.children_system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return used


def _own_cpu_seconds() -> float:
    """CPU seconds of this process so far, all its threads (dbt's included)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _dbt_command_seconds(url: str) -> float:
    """Wall seconds of `dbt build` run as a command on the warehouse at `url`, with the profile,
    target and target folder the in-process builds use (so its partial parse applies)."""
    from infopositie.dbt import dbt_cli_args, dbt_env

    started = time.monotonic()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), *dbt_cli_args(["build"])],
                   env={**os.environ, **dbt_env(url)}, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def _seconds(run: dict) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(run["end_date"]) - datetime.fromisoformat(run["start_date"])).total_seconds()


def main() -> int:
    from infopositie.dbt import dbt_build
    from ingest.contracts import all_contracts
    from ingest.landing import LocalLandingZone
    from ingest.pipeline import ingest_landing
    from synthetic import generate
    from synthetic.common import Month
    from synthetic.politie import generate_police
    from tests.conftest import create_scratch_database, drop_database

    os.environ.setdefault("INFOPOSITIE_PSEUDONYM_KEY", secrets.token_hex(32))
    os.environ.setdefault("INFOPOSITIE_ARCHIVE_KEY", secrets.token_hex(32))
    url = create_scratch_database("bench_platform")
    tmp = Path(tempfile.mkdtemp(prefix="bench-platform-"))
    env = {**os.environ, "INFOPOSITIE_HOME": str(tmp / "home"), "WAREHOUSE_URL": url,
           "INFOPOSITIE_LANDING": str(tmp / "store")}
    executor = os.environ.get("BENCH_EXECUTOR", "local")
    up_args = ["--executor", executor]
    if executor == "celery":
        up_args += ["--broker", os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/7"), "--workers", "2"]
    try:
        zone = LocalLandingZone(tmp / "store")
        generate(zone, start=os.environ.get("BENCH_FROM", "2026-01"), end=os.environ.get("BENCH_TO", "2026-09"),
                 seed=7, feeds=[c.feed for c in all_contracts()])
        ingest_landing(zone, url)
        started = time.monotonic()
        dbt_build(url)
        first = time.monotonic() - started
        # The reference is the second build: the warehouse as the Airflow run below meets it (the
        # incremental models exist, nothing new arrived), so both runs do the same work.
        cpu_before, own_before = _cpu_seconds(), _own_cpu_seconds()
        started = time.monotonic()
        dbt_build(url)
        plain = time.monotonic() - started
        cpu_after, own_after = _cpu_seconds(), _own_cpu_seconds()
        print(f"CPU seconds during the plain build: dbt {own_after - own_before:.1f}, "
              f"postgres {cpu_after.get('postgres', 0) - cpu_before.get('postgres', 0):.1f}")
        command = _dbt_command_seconds(url)

        up = subprocess.run([CLI, "platform", "up", "--json", *up_args], env=env, capture_output=True, text=True)
        if up.returncode != 0:
            print(up.stderr[-3000:])
            return 1
        airflow = json.loads(up.stdout)["airflow_url"]
        print(f"platform settled {_settle(airflow):.0f}s after `platform up` returned")
        cpu_before = _cpu_seconds()
        run = _api("POST", f"{airflow}/api/v2/dags/dbt_build/dagRuns", {"logical_date": None})
        through = _wait_run(airflow, run_id=run["dag_run_id"])
        cpu_after = _cpu_seconds()
        print("CPU seconds during the run (tasks under their scheduler or worker): " + ", ".join(
            f"{role} {cpu_after.get(role, 0) - cpu_before.get(role, 0):.1f}" for role in _ROLES if role in cpu_after))
        mode = os.environ.get("INFOPOSITIE_DBT_EXECUTION_MODE", "watcher")
        airflow_s = _seconds(through)
        print(f"dbt: plain `dbt build` {plain:.1f}s in this process, {command:.1f}s as a command (first build "
              f"of the warehouse {first:.0f}s); through Airflow ({mode}, {executor}) {airflow_s:.1f}s "
              f"({through['state']}), ratio {airflow_s / command:.2f}x the command, "
              f"{airflow_s / plain:.2f}x in-process")

        from datetime import datetime

        dropped = datetime.now(UTC).isoformat()
        (key, data), = generate_police(8, [Month.parse("2026-10")])
        t0 = time.monotonic()
        zone.put(key, data)
        in_marts = None
        while in_marts is None and time.monotonic() - t0 < 1800:
            with psycopg.connect(url, autocommit=True) as conn:
                if conn.execute("select count(*) from marts.fct_registraties f join audit.deliveries d"
                                " using (delivery_id) where d.period = '2026-10'").fetchone()[0]:
                    in_marts = time.monotonic() - t0
            time.sleep(2)
        rebuilt = _wait_run(airflow, after=dropped)
        print(f"drop-to-marts ({executor}): {in_marts:.0f}s; drop-to-reporting (dbt run done, {rebuilt['state']}): "
              f"{(datetime.fromisoformat(rebuilt['end_date']) - datetime.fromisoformat(dropped)).total_seconds():.0f}s")
    finally:
        subprocess.run([CLI, "platform", "down"], env=env, capture_output=True)
        drop_database(url)
        drop_database(make_conninfo(url, dbname=f"{conninfo_to_dict(url)['dbname']}_airflow"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
