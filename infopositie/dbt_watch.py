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

# Seconds between two looks at the producer's XComs per waiting sensor. A chain of models pays it
# once per level after the producer reported, so it bounds how far the task states trail dbt.
# Each look is one read of the node's status through the API server, plus one read of the
# producer's state shared by every sensor of the run (_producer_state).
POLL_INTERVAL_S = 2.0
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



def push_only_node_states() -> None:
    """In the producer's task process: push to XCom only what the model tasks read.

    Cosmos' producer pushes, per dbt node, its state, its dbt event (for the log of a sensor that
    runs in a worker) and its compiled SQL (for that sensor's rendered template), and every push
    is a synchronous round trip through the API server from dbt's own thread. Measured on the
    bench (2 cores, 550 nodes): 2,659 pushes and as many Variable writes made the `dbt build`
    take 114 s against 31 s without Airflow. Here no sensor runs in a worker, so the states (and
    the tests' aggregate) are all that is read; the dbt events and SQL stay in the producer's log
    and in dbt's target folder. Cosmos is pinned; tests/dags/test_dag_integrity.py fails when
    these two functions move."""
    from cosmos.operators._watcher import base

    def nothing(*_: Any, **__: Any) -> None:
        return None

    base._process_dbt_log_event = nothing
    base.store_compiled_sql_for_model = nothing
