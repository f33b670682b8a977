"""Per-model dbt tasks that never take a worker: the watcher sensors start in the triggerer.

In Cosmos's watcher mode one producer task runs a single `dbt build` and every model and every
model's tests is a sensor task that waits for the producer to report its node. Cosmos runs each
sensor in a worker first and only then defers it, so every one of the ~140 sensors costs a task
process that parses the whole DAG file (about 1.5 s of CPU each), and a second one when it resumes
after the trigger fired. On two cores that CPU went to the sensors instead of to dbt: the producer's
`dbt build` took four times as long as the same build without Airflow.

Airflow 3 can start a task in the triggerer (`start_from_trigger`), and a trigger can end its
task itself (`TaskSuccessEvent`, `TaskFailedEvent`, `TaskSkippedEvent`). `start_in_triggerer`
does both for every watcher sensor of a Cosmos DAG: the scheduler defers the sensor as soon as its
upstream is done, `ModelStatusTrigger` (Cosmos's own `WatcherTrigger`, which reads the producer's
per-node XComs) polls in the triggerer's event loop, and its verdict becomes the task's state. No
sensor ever runs in a worker; the UI still shows one task per model with its state and timing.

This module is imported by the dbt DAG and, by class path, by the triggerer.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, ClassVar

from airflow.triggers.base import (
    StartTriggerArgs,
    TaskFailedEvent,
    TaskSkippedEvent,
    TaskSuccessEvent,
    TriggerEvent,
)
from cosmos.operators._watcher.triggerer import WatcherTrigger

# Seconds between two looks at the producer's node states. Every model task waits from the run's
# start, so this bounds how far a task's state trails dbt. The sensors of a run share one read of
# the batched states and one of the producer's state per interval (ModelStatusTrigger), so a
# shorter interval costs a wake-up per waiting trigger, not a read each.
POLL_INTERVAL_S = 1.0
# The producer's node states travel as one XCom value under this key (push_only_node_states), pushed
# at most this often while dbt runs.
NODE_STATES_KEY = "infopositie_node_states"
FLUSH_INTERVAL_S = 1.0
# A model whose node never reports within this time fails; the producer itself has no limit here.
SENSOR_TIMEOUT = timedelta(hours=3)


class ModelStatusTrigger(WatcherTrigger):
    """Cosmos's WatcherTrigger, ending the task itself instead of waking it in a worker.

    The run id is read from the task instance the triggerer attaches (it is not known when the
    DAG is parsed, where the trigger's arguments are fixed)."""

    def __init__(self, model_unique_id: str, producer_task_id: str, dag_id: str, is_test_sensor: bool = False,
                 poke_interval: float = POLL_INTERVAL_S, run_id: str = "", map_index: int | None = -1,
                 **_: Any) -> None:
        super().__init__(model_unique_id=model_unique_id, producer_task_id=producer_task_id, dag_id=dag_id,
                         run_id=run_id, map_index=map_index, poke_interval=poke_interval,
                         is_test_sensor=is_test_sensor)

    # (dag_id, run_id) -> (monotonic time of the read, producer state): the sensors of one run share
    # one read per interval instead of each asking the API server for the same state.
    _producer_states: ClassVar[dict[tuple[str, str], tuple[float, str | None]]] = {}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        classpath, kwargs = super().serialize()
        return f"{__name__}.{type(self).__name__}", kwargs

    async def _log_startup_events(self) -> None:
        """Skipped: Cosmos logs dbt's version in every sensor's log, a loop of three reads per
        sensor before the first status read; the producer's own log has it once."""

    async def _get_producer_task_status(self) -> str | None:
        key = (self.dag_id, self.run_id)
        read_at, state = self._producer_states.get(key, (-1.0, None))
        if time.monotonic() - read_at >= self.poke_interval:
            state = await super()._get_producer_task_status()
            self._producer_states[key] = (time.monotonic(), state)
        return state

    # (dag_id, run_id) -> (monotonic time of the read, the producer's node states): one read of
    # NODE_STATES_KEY per interval for every sensor of the run, instead of one read per sensor.
    _node_states: ClassVar[dict[tuple[str, str], tuple[float, dict[str, Any] | None]]] = {}
    _reading: ClassVar[dict[tuple[str, str], asyncio.Future[Any]]] = {}

    async def get_xcom_val(self, key: str) -> Any | None:
        if not is_node_state_key(key):
            return await super().get_xcom_val(key)
        run = (self.dag_id, self.run_id)
        read_at, states = self._node_states.get(run, (-1.0, None))
        if time.monotonic() - read_at >= self.poke_interval:
            pending = self._reading.get(run)
            if pending is None:
                pending = asyncio.ensure_future(super().get_xcom_val(NODE_STATES_KEY))
                self._reading[run] = pending
                try:
                    states = await pending
                finally:
                    self._reading.pop(run, None)
                now = time.monotonic()
                self._node_states[run] = (now, states)
                for other, (at, _) in list(self._node_states.items()):  # runs nobody waits for any more
                    if now - at > 60 * self.poke_interval:
                        del self._node_states[other]
            else:
                states = await asyncio.shield(pending)
        if states is None:  # nothing batched (yet, or a producer that pushes per node): its own key
            return await super().get_xcom_val(key)
        return states.get(key)

    async def _parse_dbt_node_status_and_compiled_sql(self) -> tuple[str | None, str | None]:
        """The node's status only: the producer keeps compiled SQL out of XCom
        (push_only_node_states), so reading its key was one more API round trip per task, for None."""
        if self.is_test_sensor:
            return await super()._parse_dbt_node_status_and_compiled_sql()
        return await self._get_node_status(), None

    async def run(self) -> AsyncIterator[TriggerEvent]:
        ti = self.task_instance
        if ti is not None:
            self.run_id = ti.run_id
            self.map_index = ti.map_index
        async for event in super().run():
            status = event.payload.get("status")
            if status == "success":
                yield TaskSuccessEvent()
            elif status == "skipped":
                yield TaskSkippedEvent()
            else:
                self.log.error("dbt node %s did not succeed: %s (see the producer task's log)",
                               self.model_unique_id, event.payload.get("reason", status))
                yield TaskFailedEvent()
            return


def start_in_triggerer(tasks: list[Any]) -> int:
    """Make every Cosmos watcher sensor among `tasks` start and end in the triggerer.
    Returns how many were changed. A sensor that fails does not retry: the model or test failed in
    the producer's build, and running the sensor again cannot change that."""
    from cosmos.operators.watcher import DbtConsumerWatcherSensor

    changed = 0
    for task in tasks:
        if not isinstance(task, DbtConsumerWatcherSensor):
            continue
        task.start_from_trigger = True
        task.start_trigger_args = StartTriggerArgs(
            trigger_cls=f"{__name__}.{ModelStatusTrigger.__name__}",
            trigger_kwargs={"model_unique_id": task.model_unique_id, "producer_task_id": task.producer_task_id,
                            "dag_id": task.dag_id, "is_test_sensor": task.is_test_sensor,
                            "poke_interval": POLL_INTERVAL_S},
            next_method="execute_complete",
            timeout=SENSOR_TIMEOUT,
        )
        task.retries = 0
        changed += 1
    return changed



def producer_build_flags(producer: Any) -> None:
    """Set the flags of the producer's `dbt build`: every test runs, and dbt writes no log file.

    The model tasks have no test tasks beside them (TestBehavior.NONE), and for that Cosmos limits
    the producer's build to models, seeds and snapshots (`--resource-type`). But the tests are the
    contracts and the disclosure control checks: a model whose test fails must hold back what
    depends on it, as in a plain `dbt build`, so the filter goes.

    dbt's debug log file would land in the copy of the project Cosmos deletes when the task ends;
    the task log keeps dbt's events. Writing it cost the build more than it is worth: every one of
    its thousands of lines takes the file handler's lock, and on the bench a quarter of the
    producer's samples were dbt threads waiting for that lock."""
    flags = list(producer.dbt_cmd_flags or [])
    kept: list[str] = []
    while flags:
        flag = flags.pop(0)
        if flag == "--resource-type" and flags:
            flags.pop(0)
        else:
            kept.append(flag)
    producer.dbt_cmd_flags = [*kept, "--log-level-file", "none"]


def watch_from_the_start(tasks: list[Any]) -> int:
    """Every watcher sensor among `tasks` waits from the start of the run, not after the sensors
    of its upstream models (trigger rule `always`; the edges stay, so the UI keeps the lineage).

    A sensor only reads what the producer reported, so waiting for upstream sensors adds nothing
    but latency: each level of the model graph cost a scheduler loop, a trigger start and a first
    read (2-3 s on two cores), and the model tasks ended about 30 s after dbt did. Now each ends
    within a read interval of dbt reporting its node. What dbt skipped because an upstream node
    failed ends as skipped (push_only_node_states keeps dbt's status), the failed node as failed,
    and the producer fails with the build, so the run still fails and reporting is not marked
    refreshed (the producer carries that Asset). Returns how many were changed."""
    from airflow.utils.trigger_rule import TriggerRule
    from cosmos.operators.watcher import DbtConsumerWatcherSensor

    changed = 0
    for task in tasks:
        if isinstance(task, DbtConsumerWatcherSensor):
            task.trigger_rule = TriggerRule.ALWAYS
            changed += 1
    return changed


def push_only_node_states(producer: Any) -> None:
    """Make the producer task push to XCom only what the model tasks read, in batches. Called on
    the producer when the DAG is defined; the changes to Cosmos happen in the producer's task
    process, when its build starts, and nowhere else.

    Cosmos' producer pushes, per dbt node, its state, its dbt event (for the log of a sensor that
    runs in a worker) and its compiled SQL (for that sensor's rendered template), and every push
    is a synchronous round trip through the API server from dbt's own thread. Measured on the
    bench (2 cores, 550 nodes): 2,659 pushes and as many Variable writes made the `dbt build`
    take 114 s against 31 s without Airflow. Here no sensor runs in a worker, so the states (and
    the tests' aggregate) are all that is read; the dbt events and SQL stay in the producer's log
    and in dbt's target folder.

    The states themselves go out as one XCom (NODE_STATES_KEY) at most every FLUSH_INTERVAL_S and
    once more when the build ends, failed or not: a few dozen pushes a build instead of one per
    node, and each waiting model task reads that one value, shared by every sensor of the run in
    the triggerer (ModelStatusTrigger.get_xcom_val). Cosmos is pinned;
    tests/dags/test_dag_integrity.py fails when the functions replaced here move."""
    execute = producer.execute

    def execute_in_batches(context: Any, **kwargs: Any) -> Any:
        batch = _quiet_cosmos()
        batch.put(context["ti"], None, None)  # an empty value at once: the sensors read it, not their own keys
        batch.flush()
        flusher = threading.Thread(target=batch.flush_every, args=(FLUSH_INTERVAL_S,), daemon=True,
                                   name="node-states")
        flusher.start()
        try:
            return execute(context, **kwargs)
        finally:
            batch.stop.set()
            flusher.join()
            batch.flush()  # the last states, also those of a build that failed

    producer.execute = execute_in_batches


def _quiet_cosmos() -> _NodeStates:
    from cosmos.operators import watcher
    from cosmos.operators._watcher import aggregation, base

    def nothing(*_: Any, **__: Any) -> None:
        return None

    base._process_dbt_log_event = nothing
    base.store_compiled_sql_for_model = nothing
    # dbt says "skipped" for a node whose upstream failed; Cosmos turns that into "failed" because
    # its sensors of such nodes would otherwise never run (they wait for upstream sensors). Ours
    # do not wait (watch_from_the_start): the failed node shows failed, what it held back skipped.
    base._rewrite_upstream_failure_skip_status = lambda _log, _uid, status, _ids: status

    batch = _NodeStates()
    # Cosmos' own function, also when an earlier build in this process replaced it already.
    original_push = getattr(base.safe_xcom_push, "original", base.safe_xcom_push)

    def push(task_instance: Any, key: str, value: Any) -> None:
        if is_node_state_key(key):
            batch.put(task_instance, key, value)
        else:
            original_push(task_instance=task_instance, key=key, value=value)

    push.original = original_push  # type: ignore[attr-defined]
    for module in (base, aggregation, watcher):
        module.safe_xcom_push = push  # type: ignore[attr-defined]
    return batch


def sensor_reads_the_batch(task: Any) -> None:
    """For a model task that runs in a task process rather than in the triggerer (every task
    under dag.test(), which runs them one by one in one process): Cosmos' sensor reads its node's
    state from the producer's batched value, as ModelStatusTrigger does. Idempotent."""
    from cosmos.operators._watcher import base
    from cosmos.operators.watcher import DbtConsumerWatcherSensor

    if not isinstance(task, DbtConsumerWatcherSensor) or getattr(base.get_xcom_val, "reads_batch", False):
        return
    original = base.get_xcom_val

    def get_xcom_val(task_instance: Any, task_ids: str | list[str], key: str) -> Any:
        states = original(task_instance, task_ids, NODE_STATES_KEY) if is_node_state_key(key) else None
        return original(task_instance, task_ids, key) if states is None else states.get(key)

    get_xcom_val.reads_batch = True  # type: ignore[attr-defined]
    base.get_xcom_val = get_xcom_val


def is_node_state_key(key: str) -> bool:
    """Cosmos' per-node keys: `<unique id, dots as __>_status` and `..._tests_status`."""
    return key.endswith("_status") and "__" in key


class _NodeStates:
    """The producer's node states, pushed as one XCom value whenever they changed."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.task_instance: Any = None
        self.dirty = False
        self.lock = threading.Lock()  # one push at a time, so an older value never lands last
        self.stop = threading.Event()

    def put(self, task_instance: Any, key: str | None, value: Any) -> None:
        with self.lock:
            self.task_instance = task_instance
            if key is not None:
                self.values[key] = value
            self.dirty = True

    def flush(self) -> None:
        from cosmos.operators._watcher.state import xcom_set_lock

        with self.lock:
            if not self.dirty:
                return
            with xcom_set_lock:
                self.task_instance.xcom_push(key=NODE_STATES_KEY, value=dict(self.values))
            self.dirty = False

    def flush_every(self, seconds: float) -> None:
        while not self.stop.wait(seconds):
            self.flush()
