"""The running platform: a real Airflow (api-server, scheduler, dag-processor, triggerer, and Celery
workers when asked) as background processes of this checkout, started, inspected and stopped by
`infopositie platform up|status|down`.

Where things live (all under the git-ignored runtime folder `load_settings().home`):
- `platform/state.json`: what `up` started (pid, process group, start time of each process), the
  URLs and the run's marker. Written after every process started, so `down` also cleans up after
  an `up` that failed or was killed half-way.
- `platform/logs/<component>.log`: each component's stdout and stderr; task logs stay in Airflow's
  own log folder and are readable from the UI (every process shares this filesystem).
- `secrets/airflow.json` (0600): JWT secret, API secret key and Fernet key, generated once per
  home and given to every process. The Execution API tokens a worker presents are signed with the
  JWT secret the api-server checks, and connections are encrypted with the Fernet key: a process
  with its own random secrets would see every call rejected or every secret unreadable.

Stopping: every component starts in a process group of its own (`start_new_session`), but Airflow
puts each task process in a new group too (the task supervisor calls setpgid), so a signal to the
components' groups does not reach a task that is running. Every process `up` starts therefore
carries a marker in its environment (INFOPOSITIE_PLATFORM_RUN); children inherit it, and `down`
stops the recorded groups and then any process left that carries the marker.

The metadata database is a database of its own on the warehouse's server: `airflow` next to the
embedded default (as `python -m infopositie.orchestrate airflow ...` uses), `<database>_airflow`
next to a WAREHOUSE_URL database, so two warehouses on one server never share Airflow's state.
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN in the environment wins, as in production.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config import Settings, load_settings
from infopositie.orchestrate import (
    AIRFLOW_DATABASE,
    DBT_DAG_ID,
    PROJECT_ROOT,
    RETENTION_DAG_ID,
    _airflow_exe,
    _child_env,
    _sqlalchemy_url,
    ensure_airflow_db,
    feed_specs,
    ingest_dag_id,
)
from warehouse.connection import ensure_database

MARKER = "INFOPOSITIE_PLATFORM_RUN"
EXECUTORS = ("local", "celery")
# Components that `up` waits for in /api/v2/monitor/health: the scheduler is the one the issue
# names; a drop also needs the triggerer (it watches the landing zone) and the dag-processor.
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")


class PlatformError(RuntimeError):
    pass


@dataclass(frozen=True)
class Paths:
    root: Path

    @classmethod
    def of(cls, settings: Settings) -> Paths:
        return cls(settings.home / "platform")

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"


# -- shared secrets ------------------------------------------------------------------------------
def shared_secrets(settings: Settings) -> dict[str, str]:
    """JWT secret, API secret key and Fernet key of this home: created once (0600), then reused, so
    a restart keeps encrypted connections readable and running tasks' tokens valid."""
    path = settings.home / "secrets" / "airflow.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".airflow-secrets.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            from cryptography.fernet import Fernet

            values = {"jwt_secret": secrets.token_urlsafe(48), "api_secret_key": secrets.token_urlsafe(48),
                      "fernet_key": Fernet.generate_key().decode()}
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(values, out)
        return json.loads(path.read_text())


# -- where things are ----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_url(settings: Settings) -> tuple[str, bool]:
    """The warehouse URL and whether this call started the embedded default server."""
    if settings.warehouse_url:
        from warehouse.connection import warehouse_url

        return warehouse_url(), False  # creates a missing WAREHOUSE_URL database
    from warehouse.embedded import EmbeddedWarehouse

    embedded = EmbeddedWarehouse(settings.pgdata)
    was_running = embedded._running_port() is not None
    return embedded.ensure_running(), not was_running


def metadata_database(settings: Settings, server_url: str) -> str:
    if not settings.warehouse_url:
        return AIRFLOW_DATABASE
    from psycopg.conninfo import conninfo_to_dict

    return f"{conninfo_to_dict(server_url)['dbname']}_airflow"


def platform_env(settings: Settings, *, server_url: str, executor: str, port: int, broker: str | None,
                 run_id: str) -> dict[str, str]:
    """The environment of every platform process (and so of every task)."""
    conn = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    if not conn:
        name = metadata_database(settings, server_url)
        ensure_database(server_url, name)
        conn = _sqlalchemy_url(server_url, name)
    saved = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = conn  # airflow_env() takes it from there
    try:
        env = _child_env(settings)
    finally:
        if saved is None:
            os.environ.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = conn
    keys = shared_secrets(settings)
    base = f"http://127.0.0.1:{port}"
    env.update({
        MARKER: run_id,
        # Tasks find the warehouse and the landing zone exactly where `up` found them.
        "WAREHOUSE_URL": server_url,
        "INFOPOSITIE_LANDING": settings.landing_url,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        # Without it task processes call the Execution API on localhost:8080, maybe someone else's.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        # Workers call the api-server for every task start and heartbeat; 5 s (the default) is too
        # short on a busy two-core machine, where a task then fails before it ran.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": os.environ.get("AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT", "30"),
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__API__SECRET_KEY": keys["api_secret_key"],
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        # The log servers of the scheduler (LocalExecutor tasks) and the triggerer default to 8793
        # and 8794: free ports instead, so several platforms (or engineers) share a machine.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
        # The platform exists to react to drops: its DAGs run from the start (up unpauses DAGs that
        # an earlier session left paused as well).
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor" if executor == "celery" else "LocalExecutor",
    })
    if executor == "celery":
        assert broker
        env["AIRFLOW__CELERY__BROKER_URL"] = broker
        # Task results in Postgres (the metadata database), not in the broker: Redis may be
        # flushed or restarted without losing what the scheduler still has to read.
        env["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+" + conn
        # 16 task processes per worker by default; a worker per core running a handful suits the
        # machines this runs on (more workers, on more hosts, is how it scales).
        env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] = os.environ.get("AIRFLOW__CELERY__WORKER_CONCURRENCY", "4")
    return env


# -- processes -----------------------------------------------------------------------------------
def _start_ticks(pid: int) -> int | None:
    """The process's start time (clock ticks since boot): with the pid, it tells our process from a
    later one that reused the pid."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _alive(proc: dict[str, Any]) -> bool:
    ticks = _start_ticks(proc["pid"])
    if ticks is None or ticks != proc.get("start_ticks"):
        return False
    try:
        stat = Path(f"/proc/{proc['pid']}/stat").read_text().rsplit(")", 1)[1].split()
        return stat[0] != "Z"
    except OSError:
        return False


def _marked_pids(run_id: str) -> list[int]:
    """Every live process whose environment carries this run's marker (ours and its children's)."""
    needle = f"{MARKER}={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if stat[0] != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _read_state(paths: Paths) -> dict[str, Any] | None:
    try:
        return json.loads(paths.state.read_text())
    except (OSError, ValueError):
        return None


def _write_state(paths: Paths, state: dict[str, Any]) -> None:
    tmp = paths.state.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(paths.state)


# The dag-processor's work can wait while tasks run: besides re-parsing the DAG files it parses
# dbt_build.py again for every batch of the task callbacks Airflow files for each task a trigger
# ends (TaskCallbackRequest, also for tasks without callbacks), 13 CPU-s during a 50-s dbt run on
# the bench. At a lower priority it takes only what dbt, Postgres and the triggerer leave over.
BACKGROUND_NICENESS = {"dag-processor": 10}


def _spawn(name: str, args: list[str], env: dict[str, str], paths: Paths, state: dict[str, Any]) -> None:
    log_path = paths.logs / f"{name}.log"
    niceness = BACKGROUND_NICENESS.get(name, 0)
    with open(log_path, "ab") as log:
        log.write(f"\n--- {datetime.now(UTC).isoformat()} {' '.join(args)}\n".encode())
        log.flush()
        proc = subprocess.Popen(args, env=env, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=(lambda: os.nice(niceness)) if niceness else None)
    state["processes"].append({"name": name, "pid": proc.pid, "pgid": proc.pid,
                               "start_ticks": _start_ticks(proc.pid), "log": str(log_path)})
    _write_state(paths, state)


def _log_tail(path: str, lines: int = 30) -> str:
    try:
        return "".join(Path(path).read_text(errors="replace").splitlines(keepends=True)[-lines:])
    except OSError:
        return ""


# -- the API -------------------------------------------------------------------------------------
def _http(method: str, url: str, body: dict | None = None, timeout: float = 5) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def health(airflow_url: str) -> dict[str, Any] | None:
    try:
        return _http("GET", f"{airflow_url}/api/v2/monitor/health")
    except (OSError, ValueError):
        return None


def _healthy(report: dict[str, Any] | None) -> bool:
    return bool(report) and all((report.get(c) or {}).get("status") == "healthy" for c in HEALTH_COMPONENTS)


def platform_dag_ids() -> list[str]:
    return [*(ingest_dag_id(s["feed"]) for s in feed_specs()), DBT_DAG_ID, RETENTION_DAG_ID]


def _unpause_platform_dags(airflow_url: str, deadline: float, check: Any) -> None:
    """Wait until the dag-processor has stored every platform DAG, then unpause those still paused
    (new ones are created unpaused; a metadata database from an earlier session may hold paused
    ones). The local api-server admits every caller as admin (simple auth manager, loopback only)."""
    wanted = set(platform_dag_ids())
    while True:
        check()
        try:
            dags = _http("GET", f"{airflow_url}/api/v2/dags?limit=1000")["dags"]
        except (OSError, ValueError, KeyError):
            dags = []
        present = {d["dag_id"]: d for d in dags if d["dag_id"] in wanted}
        if set(present) == wanted:
            break
        if time.monotonic() > deadline:
            raise PlatformError(f"DAGs not parsed in time; missing: {sorted(wanted - set(present))}")
        time.sleep(1)
    for dag_id, dag in present.items():
        if dag.get("is_paused"):
            _http("PATCH", f"{airflow_url}/api/v2/dags/{dag_id}", {"is_paused": False})


def up(*, executor: str = "local", broker: str | None = None, workers: int = 1, port: int | None = None,
       timeout: float = 300, settings: Settings | None = None) -> dict[str, Any]:
    """Start the platform (or report the one already running) and return its description once the
    api-server answers, the scheduler, triggerer and dag-processor report healthy and the platform
    DAGs are unpaused. On failure everything started so far is stopped again."""
    settings = settings or load_settings()
    if executor not in EXECUTORS:
        raise PlatformError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if broker and executor != "celery":
        executor = "celery"  # a broker only means something to Celery
    if executor == "celery" and not broker:
        raise PlatformError("--executor celery needs --broker redis://HOST:6379/N")
    paths = Paths.of(settings)
    paths.logs.mkdir(parents=True, exist_ok=True)
    with open(paths.lock, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = _read_state(paths)
        if current and any(_alive(p) for p in current["processes"]):
            if all(_alive(p) for p in current["processes"]) and _healthy(health(current["airflow_url"])):
                return describe(current)
            _down_locked(paths, current)  # a half-dead platform: start clean
        deadline = time.monotonic() + timeout
        server_url, started_server = _server_url(settings)
        run_id = uuid.uuid4().hex
        port = port or _free_port()
        env = platform_env(settings, server_url=server_url, executor=executor, port=port, broker=broker,
                           run_id=run_id)
        state: dict[str, Any] = {
            "run_id": run_id, "executor": executor, "airflow_url": f"http://127.0.0.1:{port}",
            "landing": _drop_area(settings.landing_url), "landing_url": settings.landing_url,
            "warehouse_url": server_url, "broker": broker,
            "workers": workers if executor == "celery" else 0, "started_embedded_warehouse": started_server,
            "pgdata": str(settings.pgdata),
            "started_at": datetime.now(UTC).isoformat(), "processes": [],
        }
        _write_state(paths, state)
        try:
            # dbt and the migrations talk on stdout; `up --json` prints one object there.
            with contextlib.redirect_stdout(sys.stderr):
                _prepare(settings, server_url, env)
            airflow = _airflow_exe()
            _spawn("api-server", [airflow, "api-server", "--port", str(port), "--host", "127.0.0.1"],
                   env, paths, state)
            _spawn("scheduler", [airflow, "scheduler"], env, paths, state)
            _spawn("dag-processor", [airflow, "dag-processor"], env, paths, state)
            _spawn("triggerer", [airflow, "triggerer"], env, paths, state)
            for n in range(1, workers + 1 if executor == "celery" else 1):
                # One hostname per worker (Celery refuses two of the same name); logs are read from the
                # shared folder, so the workers need no log server of their own.
                _spawn(f"celery-worker-{n}", [airflow, "celery", "worker", "--celery-hostname",
                                              f"worker{n}-{run_id[:8]}@%h", "--skip-serve-logs"],
                       env, paths, state)

            def check() -> None:
                dead = [p for p in state["processes"] if not _alive(p)]
                if dead:
                    raise PlatformError(f"{dead[0]['name']} exited during start-up; {dead[0]['log']}:\n"
                                        + _log_tail(dead[0]["log"]))
                if time.monotonic() > deadline:
                    raise PlatformError(f"not healthy within {timeout:.0f}s: {health(state['airflow_url'])}")

            while not _healthy(health(state["airflow_url"])):
                check()
                time.sleep(1)
            _unpause_platform_dags(state["airflow_url"], deadline, check)
        except BaseException:
            _down_locked(paths, state)
            raise
        state["ready_at"] = datetime.now(UTC).isoformat()
        _write_state(paths, state)
        return describe(state)


def _prepare(settings: Settings, server_url: str, env: dict[str, str]) -> None:
    """Warehouse migrations and raw tables, Airflow's migrations, and the dbt manifest the dbt DAG
    renders its per-model tasks from."""
    from ingest.pseudonymise import load_key
    from ingest.raw_tables import ensure_raw_tables
    from ingest.sealing import load_archive_key
    from warehouse.migrate import migrate

    # The local pseudonymisation and archive keys, made on first use as the demo does (production
    # sets them from its secrets store); without them every ingest task would fail.
    load_key(settings.pseudonym_key_file, create=True)
    load_archive_key(settings.archive_key_file, create=True)
    migrate(server_url)
    ensure_raw_tables(server_url)
    saved = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    try:
        ensure_airflow_db(settings)
    finally:
        if saved is None:
            os.environ.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
        else:
            os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = saved
    from infopositie.dbt import dbt_parse

    # Always: a manifest left from older models would render an outdated dbt DAG without a word
    # (dbt parses partially, so an unchanged project costs a few seconds).
    dbt_parse(server_url)


def _drop_area(landing_url: str) -> str:
    """Where partners drop files: the landing area of the zone (folder or s3:// prefix), whose
    subfolders are the feeds' prefixes such as politie/registraties/."""
    from ingest.landing import open_landing

    return open_landing(landing_url).describe()


def describe(state: dict[str, Any]) -> dict[str, Any]:
    out = {key: state.get(key) for key in ("airflow_url", "landing", "warehouse_url", "executor")}
    if str(out["landing"]).startswith("s3://"):
        out.update(_s3_identity())
    if state.get("executor") == "celery":
        out["broker"] = state.get("broker")
        out["workers"] = state.get("workers")
    out["processes"] = {p["name"]: p["pid"] for p in state["processes"]}
    return out


def _s3_identity() -> dict[str, Any]:
    """Endpoint and keys of the platform identity for an s3:// landing zone (partners get their own)."""
    env = os.environ
    return {"s3_endpoint": env.get("INFOPOSITIE_S3_ENDPOINT") or env.get("AWS_ENDPOINT_URL"),
            "s3_access_key": env.get("AWS_ACCESS_KEY_ID"), "s3_secret_key": env.get("AWS_SECRET_ACCESS_KEY")}


def status(settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or load_settings()
    state = _read_state(Paths.of(settings))
    if not state:
        return {"running": False}
    procs = {p["name"]: {"pid": p["pid"], "running": _alive(p), "log": p["log"]} for p in state["processes"]}
    report = health(state["airflow_url"]) if any(p["running"] for p in procs.values()) else None
    return {**describe(state), "running": any(p["running"] for p in procs.values()),
            "healthy": _healthy(report), "health": report, "processes": procs,
            "started_at": state.get("started_at"), "last_build": last_build(state.get("warehouse_url"))}


def last_build(url: str | None) -> dict[str, Any] | None:
    """The newest dbt run the warehouse recorded (audit.dbt_runs): when, and what failed in it.
    A failing data test stops only what depends on it; this is where that shows. None when the
    warehouse cannot be reached or nothing was built yet."""
    if not url:
        return None
    from warehouse.connection import connect

    try:
        with connect(url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(
                "select finished_at, command, selection, status, nodes_ok, nodes_failed, nodes_skipped,"
                " failed_nodes from audit.dbt_runs order by finished_at desc limit 1").fetchone()
    except Exception:  # noqa: BLE001 - status must answer even when the warehouse does not
        return None
    if row is None:
        return None
    keys = ("finished_at", "command", "selection", "status", "ok", "failed", "skipped", "failed_nodes")
    return {**dict(zip(keys, row)), "finished_at": row[0].isoformat()}


def down(settings: Settings | None = None, *, grace: float = 30) -> list[str]:
    """Stop everything `up` started; returns the names of the components that were still running."""
    settings = settings or load_settings()
    paths = Paths.of(settings)
    paths.root.mkdir(parents=True, exist_ok=True)
    with open(paths.lock, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = _read_state(paths)
        return _down_locked(paths, state, grace=grace) if state else []


def _down_locked(paths: Paths, state: dict[str, Any], grace: float = 30) -> list[str]:
    running = [p for p in state["processes"] if _alive(p)]
    # Workers and the scheduler first (they finish or hand back what they run), the api-server last:
    # tasks being stopped still report their state through it.
    for proc in reversed(running):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc["pgid"], signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and (any(_alive(p) for p in running) or _marked_pids(state["run_id"])):
        time.sleep(0.3)
    # What did not stop in time is killed: the components' groups, and every process carrying the
    # marker (task processes live in process groups of their own). A killed process takes a moment
    # to be gone, so look again until nothing of the run is left.
    deadline = time.monotonic() + 15
    while True:
        for proc in running:
            if _alive(proc):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc["pgid"], signal.SIGKILL)
        left = _marked_pids(state["run_id"])
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not left and not any(_alive(p) for p in running):
            # Look a few more times: a process forked by a dying parent (a task's multiprocessing
            # resource tracker, say) shows up late, and a run is down only when none is left.
            if _quiet_for(state["run_id"], checks=3, interval=1.0):
                break
            continue
        if time.monotonic() > deadline:
            raise PlatformError(f"processes of the platform still running after SIGKILL: {left}")
        time.sleep(0.2)
    if state.get("started_embedded_warehouse"):
        from warehouse.embedded import EmbeddedWarehouse

        EmbeddedWarehouse(Path(state["pgdata"])).stop()
    paths.state.unlink(missing_ok=True)
    return [p["name"] for p in running]


def _quiet_for(run_id: str, *, checks: int, interval: float) -> bool:
    """True when no process of the run shows up in `checks` looks `interval` seconds apart."""
    for _ in range(checks):
        time.sleep(interval)
        if _marked_pids(run_id):
            return False
    return True


def leftover_processes(run_id: str) -> dict[int, str]:
    """Processes of a platform run still alive, with state, parent and command line (for tests)."""
    found = {}
    for pid in _marked_pids(run_id):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found[pid] = f"state {stat[0]} ppid {stat[1]}: {cmd[:200]}"
        except OSError:
            continue
    return found
