"""The dbt project as an Airflow DAG (astronomer-cosmos), run whenever any feed's raw data changed.

Scheduled on the raw Assets the ingest DAGs emit (any of them -> run), so a loaded delivery
triggers a rebuild and a refused one does not. A run started by feeds' Assets builds only what
depends on those feeds (`source:<partner>.<table>+` and the audit trail's staging, see
`infopositie.dbt.selection_for_feeds`); a run started by hand builds everything. Both give the
same `reporting` (tests/dbt/test_selective_build.py). Cosmos renders the DAG from the manifest that
`infopositie.dbt.dbt_parse(url)` writes to dbt_project/target/manifest.json: reading a manifest
costs milliseconds, where `dbt ls` at every parse would cost seconds and need a database. dbt
runs in-process through dbtRunner (the dbt in this same virtualenv).

Execution mode: watcher (astronomer-cosmos 1.15). One producer task runs a single `dbt build` of
the project (dbt's own threads, one parse, one connection pool, every data and unit test); each
model is a task of its own (`<model>_run`) that waits, deferred in the triggerer, for the producer
to report that node, so the UI shows per-model state, timing and failures. Tests have no tasks of
their own (Cosmos TestBehavior.NONE): a failing test fails the producer, and dbt skips, and the UI
shows as skipped, what depends on the tested model; the producer's log names the test. A task per
test doubled the triggers, and Airflow deserializes the whole DAG for each one it starts. The
sensors start and end in the triggerer (`infopositie.dbt_watch`): none of them takes a worker or a
task process. They all wait from the run's start (trigger rule `always`; the edges stay for the
lineage in the UI) and read the node states the producer pushes as one XCom value about every
second, so the last task ends seconds after dbt. What dbt skips after a failure shows as skipped,
the failed node as failed. The producer carries the reporting Asset (its build succeeds only when
everything selected did), and `reporting_ready`, an EmptyOperator after the producer and every
model (marked done by the scheduler, no task process), fails the run when the build fails. The
previous mode ran one `dbt build --select <model>` process per model: every task paid for a task
process, a dbt start and a manifest load, about 6x a plain `dbt build` (`make bench` prints both;
INFOPOSITIE_DBT_EXECUTION_MODE=local brings it back for measuring).

No manifest yet (fresh clone, nothing parsed): the DAG keeps its id and schedule but holds a single
task that writes the manifest and builds the whole project in one `dbt build`. Nothing is lost,
and the next parse of this file renders the per-model DAG. Parsing itself never runs dbt.

The connection comes from dbt_project/profiles.yml, which reads INFOPOSITIE_DBT_* variables; when
the worker's environment lacks them (the embedded default), each task fills them in from the
warehouse URL just before it runs, never at parse time.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import Asset, AssetAny, dag, task

from config import DBT_PROJECT_DIR, Env, load_settings
from infopositie.dbt import PROFILES_YML, profile_and_target
from infopositie.dbt_watch import (
    producer_build_flags,
    push_only_node_states,
    sensor_reads_the_batch,
    start_in_triggerer,
    watch_from_the_start,
)
from infopositie.orchestrate import DBT_DAG_ID, OWNER, REPORTING_ASSET_URI, feed_specs, raw_asset_uri

# INFOPOSITIE_DBT_MANIFEST, else where dbt_parse() writes it.
MANIFEST = load_settings().dbt_manifest
# How Cosmos runs dbt (see the module docstring): "watcher" (default) runs one `dbt build` and
# shows each model as a light sensor task; "local" runs one `dbt build --select <model>` process per
# model task. The variable exists to measure one against the other (`make bench`).
EXECUTION_MODE = os.environ.get(Env.DBT_EXECUTION_MODE, "watcher")
# "watcher_in_order": the watcher DAG for dag.test(), which runs one task at a time in one process:
# the model tasks start once the producer's build has ended (in the running platform they start
# with it and follow it), so none waits for a producer that cannot run before it.
EXECUTION_MODES = {"watcher": "watcher", "watcher_in_order": "watcher", "local": "local"}



class _FeedAssets(AssetAny):
    """AssetAny with its hash computed once. Airflow hashes the DAG, schedule included, for every
    dependency Cosmos sets (hundreds), and each Asset hashes by dumping itself to JSON: with a task
    per model and per test that was a third of this file's parse time."""

    def __hash__(self) -> int:
        if "_hash" not in self.__dict__:
            self.__dict__["_hash"] = super().__hash__()
        return self.__dict__["_hash"]


FEED_ASSETS = [Asset(raw_asset_uri(s["feed"])) for s in feed_specs()]
SCHEDULE = _FeedAssets(*FEED_ASSETS)  # any one feed's new data triggers a build (AssetAll would wait for all)
REPORTING = Asset(REPORTING_ASSET_URI)
DAG_ARGS: dict[str, Any] = dict(
    dag_id=DBT_DAG_ID,
    schedule=SCHEDULE,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,  # two builds of the same warehouse at once would only fight over locks
    default_args={"owner": OWNER},
    tags=["dbt", "transform"],
)


def _set_dbt_env(context: Any = None) -> None:
    """Give dbt its INFOPOSITIE_DBT_* variables from the warehouse URL unless the environment has
    them. Runs in the task process just before dbt (operator pre_execute), never at parse time."""
    if not os.environ.get(Env.DBT_HOST):
        from infopositie.dbt import dbt_env
        from warehouse.connection import warehouse_url

        for key, value in dbt_env(warehouse_url()).items():
            os.environ.setdefault(key, value)
    _select_what_changed(context)


def _select_what_changed(context: Any) -> None:
    """A run started by feeds' new data builds only what depends on those feeds (the producer's
    `dbt build --select`), on top of a complete earlier build; a run started by hand, the first
    build and the one after a failure build everything. The model sensors of what is
    not selected end as success without a build (Cosmos: node not run), their tables unchanged."""
    task = (context or {}).get("task")
    sensor_reads_the_batch(task)
    if task is None or task.task_id != "dbt_producer_watcher":
        return
    from infopositie.dbt import code_version_option, selection_for_feeds, selective_build_is_safe
    from infopositie.orchestrate import feeds_of_asset_events
    from warehouse.connection import warehouse_url

    # The code this build runs, for the quarterly models (only the quarters whose input changed).
    os.environ["PGOPTIONS"] = os.environ.get("PGOPTIONS", "") + code_version_option()

    feeds = feeds_of_asset_events(context.get("triggering_asset_events"))
    if not feeds:
        return
    if not selective_build_is_safe(warehouse_url()):
        print(f"new data of {', '.join(feeds)}, but no complete build to build on (first build, or the "
              "last one failed): building everything")
        return
    task.select = selection_for_feeds(feeds)
    print(f"new data of {', '.join(feeds)}: dbt build --select {' '.join(task.select)}")


def _cosmos_dag():
    from cosmos import DbtDag, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    profile_name, target_name = profile_and_target()
    mode = ExecutionMode(EXECUTION_MODES[EXECUTION_MODE])
    with DbtDag(
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            manifest_path=MANIFEST,
            # No packages.yml: nothing to fetch, and no task should reach the internet per run.
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(profile_name=profile_name, target_name=target_name,
                                     profiles_yml_filepath=PROFILES_YML),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # Watcher: the producer's `dbt build` runs every test and the UI shows the models (see
            # the module docstring). Local: one `dbt build` task per model runs and tests it.
            test_behavior=TestBehavior.NONE if mode == ExecutionMode.WATCHER else TestBehavior.BUILD,
            # A test on two models (relationships) runs as its own task after both; inside the first
            # model's `dbt build` it would query a table that does not exist yet.
            should_detach_multiple_parents_tests=True,
            # Per-table assets would add dozens of URIs nobody schedules on; one reporting asset suffices.
            emit_datasets=False,
            enable_owner_inheritance=False,
        ),
        execution_config=ExecutionConfig(
            execution_mode=mode,
            invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=Path(sys.executable).parent / "dbt",
        ),
        operator_args={"install_deps": False, "pre_execute": _set_dbt_env, "retries": 0},
        doc_md=__doc__,
        **DAG_ARGS,
    ) as dbt_dag:
        leaves = list(dbt_dag.leaves)
        if mode == ExecutionMode.WATCHER:
            # The run's verdict: a failed producer (or model) leaves this last task upstream_failed and
            # the run failed, although the model tasks, which wait with trigger rule `always`, end as
            # success or skipped. An EmptyOperator is marked done by the scheduler, without a task
            # process; the reporting Asset is the producer's (below).
            from airflow.providers.standard.operators.empty import EmptyOperator

            done = EmptyOperator(task_id="reporting_ready")
            dbt_dag.get_task("dbt_producer_watcher") >> done
        else:
            @task(task_id="reporting_ready", outlets=[REPORTING])
            def reporting_ready() -> None:
                """Marks the reporting layer as refreshed, for DAGs that publish documents or dashboards."""

            done = reporting_ready()
        for leaf in leaves:
            if leaf not in done.upstream_list:
                leaf >> done
    if mode == ExecutionMode.WATCHER:
        start_in_triggerer(dbt_dag.tasks)
        producer = dbt_dag.get_task("dbt_producer_watcher")
        # Cosmos' watcher producer does not retry (a second attempt skips itself); a failed build
        # is run again by the next delivery's Asset or by hand from the UI.
        producer.retries = 0
        # The producer's `dbt build` succeeds only when every selected model and test did: it marks
        # reporting as refreshed itself, without a task process more after the build.
        producer.outlets = [REPORTING]
        producer_build_flags(producer)
        push_only_node_states(producer)
        if EXECUTION_MODE == "watcher":
            watch_from_the_start(dbt_dag.tasks)
        if EXECUTION_MODE == "watcher_in_order":
            roots = [t for t in dbt_dag.tasks if t is not producer and not t.upstream_task_ids]
            consumers = [t for t in [*producer.downstream_list, *roots] if t.task_id != "reporting_ready"]
            for consumer in consumers:
                if consumer not in producer.downstream_list:
                    producer >> consumer
                consumer.trigger_rule = "all_done"
    return dbt_dag


def _fallback_dag():
    @dag(doc_md=__doc__ + f"\n\n**Manifest missing** at `{MANIFEST}`: running the single fallback task.",
         **DAG_ARGS)
    def dbt_build_fallback() -> None:
        @task(task_id="dbt_parse_and_build", outlets=[REPORTING], retries=1, retry_delay=timedelta(minutes=2))
        def dbt_parse_and_build() -> None:
            from infopositie.dbt import dbt_build, dbt_parse
            from warehouse.connection import warehouse_url

            url = warehouse_url()
            print(f"dbt manifest written: {dbt_parse(url)}; the next parse of this DAG renders one task per model")
            if dbt_build(url) != 0:
                raise RuntimeError("dbt build failed; see the log above")

        dbt_parse_and_build()

    return dbt_build_fallback()


dbt_build = _cosmos_dag() if MANIFEST.is_file() else _fallback_dag()
