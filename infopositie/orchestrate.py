"""Airflow around the platform: its environment, its metadata database, and running the DAGs.

Two audiences:
- the DAG files in `dags/` import the small, cheap helpers at the top (feed specs read straight from
  the contract YAML, asset URIs, DAG ids). This module therefore imports only the standard library
  and `config` at module level: the dag-processor parses the DAG files every few
  minutes and Airflow itself already costs seconds to import.
- `make demo` and the tests run the DAGs for real with `dag.test()` (no scheduler, no api-server).
  Airflow reads its configuration when it is imported, so every run happens in a child process
  started with the environment from `airflow_env()`; the parent never imports Airflow.

Command line (used for the local Airflow UI, see the README):
    python -m infopositie.orchestrate env              # `export` lines for the shell
    python -m infopositie.orchestrate airflow ARGS...  # run the `airflow` command with that env
"""
from __future__ import annotations

import fcntl
import json
import os
import shlex
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config import CONTRACTS_DIR, PROJECT_ROOT, Settings, load_settings

DAGS_FOLDER = PROJECT_ROOT / "dags"
AIRFLOW_DATABASE = "airflow"
OWNER = "team-infopositie"
DBT_DAG_ID = "dbt_build"
RETENTION_DAG_ID = "retention"
REPORTING_ASSET_URI = "infopositie://reporting/lokaal_beeld_kwartaal"
_DB_STAMP = ".infopositie-db-stamp.json"


# -- helpers for the DAG files (cheap: no Airflow, no pydantic) ----------------------------------
def feed_specs() -> list[dict[str, Any]]:
    """What the DAG files need from each feed contract, read with yaml.safe_load.

    ingest.contracts.all_contracts() would validate the contracts too, but pulls in pydantic on
    every parse; the pipeline validates them anyway when it runs."""
    import yaml

    specs = []
    for path in sorted(CONTRACTS_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = {key: doc.get(key) for key in
                ("feed", "partner", "partner_code", "title", "description", "cadence")}
        # A prefix may hold a {partner} folder (one per gemeente/bank): documentation only here;
        # which files belong to the feed is decided by the contract in the tasks.
        spec["landing_prefixes"] = [doc["landing_prefix"], *doc.get("also_landing_prefixes", [])]
        specs.append(spec)
    return specs


def ingest_dag_id(feed: str) -> str:
    return f"ingest_{feed}"


def raw_asset_uri(feed: str) -> str:
    return f"infopositie://raw/{feed}"


def feeds_of_asset_events(events: Any) -> list[str]:
    """The feeds whose raw Assets triggered a run (Airflow's triggering_asset_events: a mapping of
    Asset to its events), sorted; empty for a run started by hand or on a schedule."""
    prefix = raw_asset_uri("")
    uris = [getattr(asset, "uri", str(asset)) for asset in (events or {})]
    return sorted({uri[len(prefix):] for uri in uris if uri.startswith(prefix)})


# -- the Airflow environment ---------------------------------------------------------------------
def _conninfo(url: str) -> dict[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    return {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}


def _sqlalchemy_url(url: str, database: str) -> str:
    """A libpq URL turned into the SQLAlchemy URL Airflow wants (driver psycopg 3, which Airflow 3.3
    prefers when it is installed; psycopg2 would work too but is only there as a transitive pin)."""
    from sqlalchemy.engine import URL

    params = _conninfo(url)
    return URL.create(
        "postgresql+psycopg", username=params.get("user"), password=params.get("password"),
        host=params.get("host"), port=int(params["port"]) if "port" in params else None, database=database,
    ).render_as_string(hide_password=False)


def warehouse_server_url(settings: Settings) -> str:
    if settings.warehouse_url:
        return settings.warehouse_url
    from warehouse.embedded import EmbeddedWarehouse

    return EmbeddedWarehouse(settings.pgdata).ensure_running()


def airflow_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment variables that point Airflow at this project (merge them over os.environ).

    The metadata database is a database `airflow` on the warehouse server (the embedded default
    unless WAREHOUSE_URL is set), created if missing; AIRFLOW__DATABASE__SQL_ALCHEMY_CONN in the
    environment wins (production sets it). Starts the embedded warehouse if needed, because the
    URL holds its port."""
    settings = settings or load_settings()
    conn = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    if not conn:
        from warehouse.connection import ensure_database

        server = warehouse_server_url(settings)
        ensure_database(server, AIRFLOW_DATABASE)
        conn = _sqlalchemy_url(server, AIRFLOW_DATABASE)
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(settings.airflow_home),
        "INFOPOSITIE_HOME": str(settings.home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # LocalExecutor: what `airflow scheduler` needs on Postgres; dag.test() runs tasks in-process
        # and does not use the executor at all.
        "AIRFLOW__CORE__EXECUTOR": os.environ.get("AIRFLOW__CORE__EXECUTOR", "LocalExecutor"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn,
        # Airflow derives postgresql+asyncpg otherwise, which is not installed; psycopg 3 does async.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC":
            os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC", conn),
        # Local UI only: no login, so it listens on loopback only. Production (docker-compose.yml)
        # configures real users.
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS":
            os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True"),
        "AIRFLOW__API__HOST": os.environ.get("AIRFLOW__API__HOST", "127.0.0.1"),
        # 32 LocalExecutor workers by default; a laptop (or a 2-core VM) wants a handful.
        "AIRFLOW__CORE__PARALLELISM": os.environ.get("AIRFLOW__CORE__PARALLELISM", "4"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        # Cosmos reports usage to a third party by default; this platform sends nothing out.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # Cosmos' watcher producer would copy every XCom it pushes into an Airflow Variable as well
        # (one more round trip through the API server per push, the whole backup each time), to
        # restore them on a retry; its producer never retries here (dags/dbt_build.py).
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "DO_NOT_TRACK": "1",
    }


def _child_env(settings: Settings) -> dict[str, str]:
    # The virtualenv's bin first: `airflow standalone` starts its components as `airflow ...`.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, **airflow_env(settings), "PATH": path, "PYTHONUNBUFFERED": "1"}


def _airflow_exe() -> str:
    return str(Path(sys.executable).parent / "airflow")


def _current_revision(conn_url: str) -> str | None:
    from warehouse.connection import connect

    libpq = conn_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with connect(libpq, autocommit=True) as conn:
        if not conn.execute("select to_regclass('public.alembic_version')").fetchone()[0]:
            return None
        row = conn.execute("select version_num from alembic_version").fetchone()
        return row[0] if row else None


def ensure_airflow_db(settings: Settings | None = None) -> bool:
    """Run `airflow db migrate` unless this Airflow version already migrated this database.

    `airflow db migrate` costs seconds even with nothing to do, so a stamp in AIRFLOW_HOME records
    the Airflow version and the alembic revision it left behind; the database is checked against
    it with one query. Returns True when a migration ran."""
    from importlib.metadata import version

    settings = settings or load_settings()
    env = _child_env(settings)
    conn_url = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    stamp_file = settings.airflow_home / _DB_STAMP
    installed = version("apache-airflow")
    with open(settings.airflow_home / ".db-migrate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several demo/test processes may start at once
        stamp = json.loads(stamp_file.read_text()) if stamp_file.exists() else {}
        revision = _current_revision(conn_url)
        if revision and stamp == {"airflow": installed, "revision": revision, "database": _safe(conn_url)}:
            return False
        subprocess.run([_airflow_exe(), "db", "migrate"], env=env, check=True, capture_output=True, text=True)
        stamp_file.write_text(json.dumps(
            {"airflow": installed, "revision": _current_revision(conn_url), "database": _safe(conn_url)}))
        return True


def _safe(conn_url: str) -> str:
    params = _conninfo(conn_url.replace("postgresql+psycopg://", "postgresql://", 1))
    return f"{params.get('host')}:{params.get('port')}/{params.get('dbname')}"


# -- running DAGs with dag.test() ----------------------------------------------------------------
def _run_in_child(dag_ids: list[str], conf: dict[str, Any], settings: Settings) -> dict[str, Any]:
    log_dir = settings.airflow_home / "logs" / "dag_test"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "summary.json"
        cmd = [sys.executable, "-m", "infopositie.orchestrate", "_dag-test", "--out", str(out),
               "--conf", json.dumps(conf), *dag_ids]
        with open(log_path, "w") as log:
            # dag.test() runs the tasks one after another in this one process: the model tasks
            # must start after the producer's one `dbt build` has ended (dags/dbt_build.py), and
            # then each finds its node's result at its first look.
            env = {**_child_env(settings), "INFOPOSITIE_DBT_EXECUTION_MODE": "watcher_in_order"}
            proc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=PROJECT_ROOT)
        if proc.returncode != 0 or not out.exists():
            tail = "".join(log_path.read_text(errors="replace").splitlines(keepends=True)[-40:])
            raise RuntimeError(f"dag.test() child failed (exit {proc.returncode}); log: {log_path}\n{tail}")
        summary = json.loads(out.read_text())
    for run in summary.values():
        run["log"] = str(log_path)
    return summary


def run_feed_dags(feeds: list[str] | None = None, *, wait_for_files: bool = False,
                  settings: Settings | None = None) -> dict[str, Any]:
    """Run the ingest DAG of each feed (default: every contract) once, now, without a scheduler.

    With wait_for_files=False a feed without waiting files is skipped at once instead of the sensor
    waiting for hours. Tasks run without retries: this run reports now. Returns {dag_id: {"state", "run_id",
    "tasks": {task_id: state}, "deliveries": [per-file summaries], "log"}}."""
    settings = settings or load_settings()
    known = [s["feed"] for s in feed_specs()]
    feeds = feeds or known
    unknown = sorted(set(feeds) - set(known))
    if unknown:
        raise ValueError(f"no feed contract for: {', '.join(unknown)}")
    _prepare_warehouse(settings)
    ensure_airflow_db(settings)
    return _run_in_child([ingest_dag_id(f) for f in feeds], {"wait_for_files": wait_for_files}, settings)


def run_dbt_dag(settings: Settings | None = None) -> dict[str, Any]:
    """Run the Cosmos dbt DAG once, now. Writes the dbt manifest first so the DAG file renders one
    task per model instead of its fallback. Returns {"dbt_build": {"state", "tasks", ...}}."""
    settings = settings or load_settings()
    url = _prepare_warehouse(settings)
    from infopositie.dbt import dbt_parse

    dbt_parse(url)
    ensure_airflow_db(settings)
    return _run_in_child([DBT_DAG_ID], {}, settings)


def run_retention_dag(today: str | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Run the retention DAG once, now, as of `today` (JJJJ-MM-DD; default the run's own day).
    Returns {"retention": {"state", "run_id", "tasks"}}."""
    settings = settings or load_settings()
    _prepare_warehouse(settings)
    ensure_airflow_db(settings)
    return _run_in_child([RETENTION_DAG_ID], {"today": today}, settings)


def _prepare_warehouse(settings: Settings) -> str:
    """The same as the CLI does before ingest/build: pending migrations and raw tables."""
    from ingest.raw_tables import ensure_raw_tables
    from warehouse.migrate import migrate

    url = warehouse_server_url(settings)
    migrate(url)
    ensure_raw_tables(url)
    return url


def _dag_test(dag_ids: list[str], conf: dict[str, Any]) -> dict[str, Any]:
    """Inside the child process (Airflow configured by the environment)."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    summary: dict[str, Any] = {}
    for dag_id in dag_ids:
        dag = bag.dags.get(dag_id)
        if dag is None:
            raise KeyError(f"no DAG {dag_id} in {DAGS_FOLDER}; import errors: {bag.import_errors or 'none'}")
        params = {k: v for k, v in conf.items() if k in dag.params}
        # One run, reported now: a failure should show at once, not after the retry delay that
        # suits the scheduler (dag.test() would sit out every retry_delay).
        for task in dag.tasks:
            task.retries = 0
        dr = dag.test(run_conf=params or None)
        with create_session() as session:
            tis = session.scalars(select(TaskInstance).where(
                TaskInstance.dag_id == dag_id, TaskInstance.run_id == dr.run_id)).all()
            entry: dict[str, Any] = {
                "run_id": dr.run_id, "state": str(dr.state),
                "tasks": {ti.task_id: str(ti.state) for ti in sorted(tis, key=lambda t: t.task_id)},
            }
            xcom = session.scalars(
                XComModel.get_many(run_id=dr.run_id, key="deliveries", dag_ids=dag_id, task_ids="ingest")).first()
            if xcom is not None:
                entry["deliveries"] = XComModel.deserialize_value(xcom)
            elif dag_id not in (DBT_DAG_ID, RETENTION_DAG_ID):
                entry["deliveries"] = []
        summary[dag_id] = entry
    return summary


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m infopositie.orchestrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("env", help="print `export` lines for the Airflow environment")
    airflow = commands.add_parser("airflow", help="run the airflow command with that environment")
    airflow.add_argument("args", nargs=argparse.REMAINDER)
    child = commands.add_parser("_dag-test", help=argparse.SUPPRESS)
    child.add_argument("--out", type=Path, required=True)
    child.add_argument("--conf", type=json.loads, default={})
    child.add_argument("dag_ids", nargs="+")
    args = parser.parse_args(argv)

    if args.command == "env":
        for key, value in airflow_env().items():
            print(f"export {key}={shlex.quote(value)}")
    elif args.command == "airflow":
        settings = load_settings()
        ensure_airflow_db(settings)
        os.execve(_airflow_exe(), [_airflow_exe(), *args.args], _child_env(settings))
    else:
        args.out.write_text(json.dumps(_dag_test(args.dag_ids, args.conf), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
