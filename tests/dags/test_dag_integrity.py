"""DAG integrity: the DAG files parse without errors, cheaply, and say who owns them and what they need.

Airflow reads its configuration when it is imported, so everything that touches Airflow runs in a
child process with the environment from `infopositie.orchestrate.airflow_env()` (a throwaway
AIRFLOW_HOME; DagBag parsing needs no metadata database).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import DBT_PROJECT_DIR, PROJECT_ROOT
from infopositie.orchestrate import DAGS_FOLDER, DBT_DAG_ID, OWNER, RETENTION_DAG_ID, ingest_dag_id, raw_asset_uri
from ingest.contracts import all_contracts

# The parse-time budget of one DAG file, on top of what the dag-processor has already imported.
PARSE_BUDGET_S = 1.0
DAG_FILES = sorted(p for p in DAGS_FOLDER.glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A manifest of the real dbt project, written outside the checkout: the dbt DAG must render
    from it whether or not someone has run `dbt parse` here. Parsing never connects."""
    out = tmp_path_factory.mktemp("dbt")
    code = ("import sys; from dbt.cli.main import dbtRunner; r = dbtRunner().invoke(['parse', '--project-dir',"
            " sys.argv[1], '--profiles-dir', sys.argv[1], '--target-path', sys.argv[2], '--log-path', sys.argv[2]]);"
            " sys.exit(0 if r.success else 1)")
    env = {**os.environ, "INFOPOSITIE_DBT_HOST": "parse-only", "INFOPOSITIE_DBT_USER": "parse-only",
           "INFOPOSITIE_DBT_DBNAME": "parse-only", "DO_NOT_TRACK": "1"}
    proc = subprocess.run([sys.executable, "-c", code, str(DBT_PROJECT_DIR), str(out)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "manifest.json"


@pytest.fixture(scope="module")
def airflow_child_env(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow")
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Parsing never connects; an unreachable URL proves it.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg://nobody@127.0.0.1:9/none",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": "postgresql+psycopg://nobody@127.0.0.1:9/none",
        "INFOPOSITIE_DBT_MANIFEST": str(dbt_manifest),
    }


def _child(code: str, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout


_DAGBAG = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=__import__('sys').argv[1])
out = {"import_errors": bag.import_errors, "dags": {}}
for dag_id, dag in bag.dags.items():
    cond = getattr(dag.timetable, "asset_condition", None)
    out["dags"][dag_id] = {
        "owner": dag.owner, "tags": sorted(dag.tags), "fileloc": dag.fileloc,
        "task_owners": sorted({t.owner for t in dag.tasks}),
        "schedule_assets": sorted(a.uri for a in getattr(cond, "objects", [cond] if cond is not None else [])),
        # The kind of condition (AssetAny, AssetAll), also when the DAG file subclasses it.
        "schedule_kind": next((k.__name__ for k in type(cond).__mro__ if k.__module__.startswith("airflow.")),
                              None) if cond is not None else None,
        "outlets": {t.task_id: [o.uri for o in t.outlets] for t in dag.tasks if t.outlets},
        "retries": {t.task_id: t.retries for t in dag.tasks},
        "sensor_modes": {t.task_id: t.mode for t in dag.tasks if hasattr(t, "mode")},
        "task_types": {t.task_id: type(t).__name__ for t in dag.tasks},
        "start_in_triggerer": sorted(t.task_id for t in dag.tasks if t.start_from_trigger and t.start_trigger_args),
        "timetable": type(dag.timetable).__name__, "max_active_runs": dag.max_active_runs,
        "leaves": sorted(t.task_id for t in dag.leaves),
        "trigger_rules": {t.task_id: getattr(t.trigger_rule, "value", t.trigger_rule) for t in dag.tasks},
        "execute_wrapped": sorted(t.task_id for t in dag.tasks if "execute" in vars(t)),
        "dbt_cmd_flags": {t.task_id: list(t.dbt_cmd_flags) for t in dag.tasks if getattr(t, "dbt_cmd_flags", None)},
        "tasks": sorted(t.task_id for t in dag.tasks),
        "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
    }
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def dagbag(airflow_child_env: dict[str, str]) -> dict:
    stdout = _child(_DAGBAG, airflow_child_env, str(DAGS_FOLDER))
    return json.loads(stdout.split("RESULT", 1)[1])


def test_dbt_dag_has_a_task_per_model_then_marks_reporting(dagbag: dict, dbt_manifest: Path) -> None:
    manifest = json.loads(dbt_manifest.read_text())
    models = [n["name"] for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and n["package_name"] == "infopositie"]
    dag = dagbag["dags"][DBT_DAG_ID]
    assert models
    for model in models:
        # One task per model in the UI: `<model>_run` (watcher sensor) or `<model>_build` (one dbt
        # process per model).
        assert any(t.startswith(f"{model}_") for t in dag["tasks"]), f"no task for model {model}"
    # The watcher mode runs dbt once: exactly one task runs `dbt build`, the others only watch it.
    assert dag["task_types"].get("dbt_producer_watcher") == "DbtProducerWatcherOperator"
    # Downstream DAGs may rely on the reporting asset meaning: everything was built. The producer's
    # build succeeds only when every selected model and test did, so it carries the asset.
    assert dag["outlets"] == {"dbt_producer_watcher": ["infopositie://reporting/lokaal_beeld_kwartaal"]}
    # The run fails when the build does: the last task waits for the producer and every model task.
    assert dag["leaves"] == ["reporting_ready"]
    assert dag["task_types"]["reporting_ready"] == "EmptyOperator"  # marked done by the scheduler
    assert dag["trigger_rules"]["reporting_ready"] == "all_success"
    assert "dbt_producer_watcher" in dag["upstream"]["reporting_ready"]


def test_the_producer_runs_every_test_and_writes_no_dbt_log_file(dagbag: dict) -> None:
    """No test tasks (TestBehavior.NONE), but the producer's `dbt build` still runs the data and
    unit tests: without `--resource-type`, as Cosmos would add for NONE (dbt_watch.producer_build_flags)."""
    dag = dagbag["dags"][DBT_DAG_ID]
    flags = dag["dbt_cmd_flags"]["dbt_producer_watcher"]
    assert "--resource-type" not in flags, flags
    assert flags[flags.index("--log-level-file") + 1] == "none"
    assert not [t for t in dag["tasks"] if t.endswith((".test", "_test"))]


def test_dbt_dag_without_manifest_falls_back_to_one_task(airflow_child_env: dict[str, str],
                                                         tmp_path: Path) -> None:
    env = {**airflow_child_env, "INFOPOSITIE_DBT_MANIFEST": str(tmp_path / "missing" / "manifest.json")}
    bag = json.loads(_child(_DAGBAG, env, str(DAGS_FOLDER)).split("RESULT", 1)[1])
    assert bag["import_errors"] == {}
    dag = bag["dags"][DBT_DAG_ID]
    assert dag["tasks"] == ["dbt_parse_and_build"]
    assert dag["schedule_assets"] == sorted(raw_asset_uri(c.feed) for c in all_contracts())
    assert dag["owner"] == OWNER


def test_no_import_errors(dagbag: dict) -> None:
    assert dagbag["import_errors"] == {}
    assert dagbag["dags"], "no DAGs found"


def test_every_dag_has_an_owner_and_tags(dagbag: dict) -> None:
    for dag_id, dag in dagbag["dags"].items():
        assert dag["owner"] and "airflow" not in dag["task_owners"], (dag_id, dag["task_owners"])
        assert dag["tags"], dag_id


def test_every_contract_has_its_ingest_dag(dagbag: dict) -> None:
    for contract in all_contracts():
        dag = dagbag["dags"].get(ingest_dag_id(contract.feed))
        assert dag is not None, f"no DAG for feed {contract.feed}"
        assert Path(dag["fileloc"]).name == "ingest_feeds.py"
        assert dag["outlets"] == {"ingest": [raw_asset_uri(contract.feed)]}
        # A drop starts loading without waiting for a schedule: a continuous run whose first task
        # waits in the triggerer (deferrable), not a sensor that pokes from a worker.
        assert dag["task_types"]["wait_for_files"] == "WaitForLandingFiles"
        assert (dag["timetable"], dag["max_active_runs"]) == ("ContinuousTimetable", 1)
        assert f"feed:{contract.feed}" in dag["tags"]


def test_dbt_dag_is_scheduled_on_every_feed_asset(dagbag: dict) -> None:
    dag = dagbag["dags"][DBT_DAG_ID]
    assert dag["schedule_assets"] == sorted(raw_asset_uri(c.feed) for c in all_contracts())
    # Any feed's new data triggers a build; AssetAll would wait for every feed.
    assert dag["schedule_kind"] == "AssetAny"


def test_retries_only_on_io_tasks(dagbag: dict) -> None:
    for dag_id, dag in dagbag["dags"].items():
        if dag_id.startswith("ingest_"):
            assert dag["retries"]["wait_for_files"] > 0 and dag["retries"]["ingest"] > 0
        if dag_id == RETENTION_DAG_ID:  # every task reads and deletes in the warehouse and the store
            assert all(n > 0 for n in dag["retries"].values()), dag["retries"]
        if dag_id == DBT_DAG_ID:
            # Cosmos' watcher producer cannot retry (a second attempt skips itself, by design);
            # the model tasks only read what it reported, and marking the asset touches nothing.
            # A failed build runs again with the next delivery's Asset or by hand.
            assert all(n == 0 for n in dag["retries"].values()), dag["retries"]


def test_the_cosmos_internals_the_producer_quiets_are_there() -> None:
    """infopositie.dbt_watch.push_only_node_states replaces functions of Cosmos' watcher; a
    Cosmos upgrade that moves them must fail here, not silently bring back 5,000 API calls a build
    or sensors that never see their node's state."""
    from cosmos.operators import watcher
    from cosmos.operators._watcher import aggregation, base

    from infopositie.dbt_watch import is_node_state_key

    assert callable(base._process_dbt_log_event) and callable(base.store_compiled_sql_for_model)
    status_pusher = base.store_dbt_resource_status_from_log.__code__.co_names
    for name in ("_process_dbt_log_event", "store_compiled_sql_for_model", "safe_xcom_push",
                 "_rewrite_upstream_failure_skip_status"):
        assert name in status_pusher, name
    assert "safe_xcom_push" in aggregation.push_test_result_or_aggregate.__code__.co_names
    # ...and the sensor in a task process reads through this name (sensor_reads_the_batch).
    assert "get_xcom_val" in base.BaseConsumerSensor._get_node_status.__code__.co_names
    assert "safe_xcom_push" in watcher.DbtProducerWatcherOperator._push_node_state_xcom.__code__.co_names
    # The keys the batch takes are the ones the sensors read, and the producer's own keys are not.
    from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
    from cosmos.operators._watcher.state import get_status_xcom_key

    assert is_node_state_key(get_status_xcom_key("model.infopositie.fct_registraties"))
    assert is_node_state_key(get_tests_status_xcom_key("model.infopositie.fct_registraties"))
    assert not is_node_state_key("task_status")


def test_model_tasks_watch_from_the_start_and_the_producer_pushes_in_batches(dagbag: dict) -> None:
    """Every model and test task waits from the run's start (trigger rule always), so none trails
    dbt by a scheduler loop per level; the producer's execute is the batching one."""
    dag = dagbag["dags"][DBT_DAG_ID]
    sensors = set(dag["start_in_triggerer"])
    assert {dag["trigger_rules"][t] for t in sensors} == {"always"}
    assert dag["execute_wrapped"] == ["dbt_producer_watcher"]


def test_dbt_model_tasks_start_and_end_in_the_triggerer(dagbag: dict) -> None:
    """No model task takes a worker (infopositie/dbt_watch.py): only the producer runs in a task
    process (reporting_ready is an EmptyOperator, which the scheduler marks done itself)."""
    dag = dagbag["dags"][DBT_DAG_ID]
    in_worker = set(dag["tasks"]) - set(dag["start_in_triggerer"])
    assert in_worker == {"dbt_producer_watcher", "reporting_ready"}, in_worker
    assert len(dag["start_in_triggerer"]) > 50


def test_retention_runs_daily_per_feed_and_rebuilds_what_it_purged(dagbag: dict) -> None:
    dag = dagbag["dags"][RETENTION_DAG_ID]
    assert dag["timetable"] in ("DailyTimetable", "CronTriggerTimetable", "CronDataIntervalTimetable"), dag["timetable"]
    assert dag["owner"] == OWNER
    # A feed whose rows were purged emits its raw Asset, so the dbt DAG rebuilds what derives from it.
    assert dag["outlets"] == {f"apply_{c.feed}": [raw_asset_uri(c.feed)] for c in all_contracts()}


# CPU time of the process, not wall time: what the dag-processor spends, and what other work on a
# shared machine does not inflate (at a load of 15 the wall time of the same parse doubled).
_TIME_ONE_FILE = """
import runpy, sys, time
t0 = time.process_time()
import airflow.sdk, airflow.dag_processing.dagbag
from airflow import plugins_manager
plugins_manager.ensure_plugins_loaded()
t1 = time.process_time()
runpy.run_path(sys.argv[1])
t2 = time.process_time()
print(f"RESULT{t1 - t0:.3f} {t2 - t1:.3f}")
"""


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_in_under_a_second(dag_file: Path, airflow_child_env: dict[str, str]) -> None:
    """Measured in a fresh process, after importing what the dag-processor has loaded already
    (Airflow, DagBag, plugins): that part is paid once per processor, the file on every parse."""
    timings = []
    for _ in range(2):  # the better of two runs: the machine is shared
        baseline, parse = map(float, _child(_TIME_ONE_FILE, airflow_child_env, str(dag_file))
                              .split("RESULT", 1)[1].split())
        timings.append(parse)
    print(f"\n{dag_file.name}: parse {min(timings):.3f}s (runs: {', '.join(f'{t:.3f}' for t in timings)};"
          f" Airflow baseline {baseline:.2f}s)")
    assert min(timings) < PARSE_BUDGET_S


def test_dag_files_import_nothing_heavy(airflow_child_env: dict[str, str]) -> None:
    code = """
import runpy, sys
import airflow.sdk, airflow.dag_processing.dagbag
from airflow import plugins_manager
plugins_manager.ensure_plugins_loaded()
before = set(sys.modules)
for f in sys.argv[1:]:
    runpy.run_path(f)
heavy = ("pandas", "numpy", "great_expectations", "psycopg", "dbt", "ingest.pipeline", "ingest.contracts")
new = set(sys.modules) - before
print("RESULT" + ",".join(sorted(m for m in new if m.split(".")[0] in heavy or m in heavy)))
"""
    loaded = _child(code, airflow_child_env, *map(str, DAG_FILES)).split("RESULT", 1)[1].strip()
    assert loaded == "", f"DAG files import heavy modules at parse time: {loaded}"
