"""One ingest DAG per partner feed, generated from the feed contracts (ingest/contracts/*.yaml).

    wait_for_files  (deferrable: the triggerer watches the feed's landing prefixes)
        -> ingest   (validate, pseudonymise, load; emits the Asset infopositie://raw/<feed>)

How a drop starts a run, and why this way: each DAG is `@continuous` with one active run. A run's
first task looks at the landing zone once and, when nothing waits, defers to `LandingFilesTrigger`,
which lists the feed's prefixes every 30 s (INFOPOSITIE_LANDING_POLL_SECONDS) inside the
triggerer. When files appear the task resumes with their keys, `ingest` loads them, the run ends,
and the scheduler starts the next run, which watches again. A file dropped at any hour is loading
within about a poll interval plus a task start; a second drop during a load goes with it or with the
next run: none is lost.
- Not a reschedule-mode sensor on a frequent schedule: every poke is a task process (seconds of
  CPU to import Airflow); seven feeds poking every minute would keep a core busy, and a short
  schedule leaves hundreds of empty runs a day in the UI. The previous `@daily` run with a
  10-minute poke also let a drop after the day's run wait until the next day.
- Not an AssetWatcher (event-driven scheduling): Airflow 3 accepts only event triggers there, made
  for message queues whose messages are consumed once (SQS, Kafka). A trigger polling a folder or
  bucket fires again for the same file until it is archived, so each drop would queue several runs.
  When the S3 landing zone publishes bucket notifications to a queue, an AssetWatcher on that
  queue is the natural next step; the folder landing zone has no such queue.
- A deferred task holds no worker slot and no process: the watch costs one LIST per interval.
A watching run ends as skipped after 6 hours so new code reaches the watch; runs that found files
are the ones that load, so the run list reads as the list of drops.

The Asset is emitted only when at least one file was loaded: when every file was refused or was a
duplicate, the ingest task ends as *skipped*, and Airflow records no asset event for a skipped task,
so dbt does not rebuild for nothing. The per-file summaries are in the XCom `deliveries` either way.

Parsing must stay cheap (the dag-processor re-parses this file every few minutes): only Airflow and
the contract YAML are read here; pyarrow, psycopg and the pipeline are imported
inside the tasks.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, Param, dag, task

from infopositie.landing_watch import WaitForLandingFiles
from infopositie.orchestrate import OWNER, feed_specs, ingest_dag_id, raw_asset_uri


def build_ingest_dag(spec: dict[str, Any]):
    feed = spec["feed"]
    prefixes = ", ".join(f"`{p}`" for p in spec["landing_prefixes"])
    asset = Asset(raw_asset_uri(feed))

    @dag(
        dag_id=ingest_dag_id(feed),
        description=f"{spec['partner']}: {spec['title']}",
        doc_md=f"### {spec['title']}\n\n{spec['description']}\n\nLanding: {prefixes} - "
               f"cadence: {spec['cadence']}. Generated from `ingest/contracts/{feed}.yaml`.",
        schedule="@continuous",  # see the module docstring: the next run starts watching at once
        start_date=datetime(2024, 1, 1),
        catchup=False,
        max_active_runs=1,  # @continuous requires it; the pipeline serialises per feed anyway
        default_args={"owner": OWNER},
        tags=["ingest", f"partner:{spec['partner_code']}", f"feed:{feed}"],
        params={"wait_for_files": Param(True, type="boolean",
                                        description="False: skip at once when no file is waiting.")},
    )
    def ingest_dag() -> None:
        # Retries: reading the landing zone is I/O (a store briefly away).
        wait_for_files = WaitForLandingFiles(task_id="wait_for_files", feed=feed, retries=2,
                                             retry_delay=timedelta(minutes=1))

        @task(task_id="ingest", outlets=[asset], retries=2, retry_delay=timedelta(minutes=2))
        def ingest(seen: list[str]) -> list[dict[str, Any]]:
            from airflow.sdk import get_current_context
            from airflow.sdk.exceptions import AirflowSkipException

            from config import load_settings
            from ingest.landing import open_landing
            from ingest.pipeline import ingest_landing
            from warehouse.connection import warehouse_url

            context = get_current_context()
            print(f"{len(seen)} file(s) seen by the sensor: {', '.join(seen[:10])}")
            results = ingest_landing(open_landing(load_settings().landing_url), warehouse_url(), feeds=[feed])
            summaries = [r.as_dict() for r in results]
            for r in results:
                print(r.summary_line())
            context["ti"].xcom_push(key="deliveries", value=summaries)
            loaded = [s for s in summaries if s["status"] == "loaded"]
            if not loaded:
                raise AirflowSkipException(
                    f"Niets geladen ({len(summaries)} bestand(en) geweigerd of dubbel); geen nieuwe data.")
            context["outlet_events"][asset].extra = {
                "delivery_ids": [s.get("delivery_id") for s in loaded],
                "periods": sorted({s.get("period") for s in loaded if s.get("period")}),
                "rows_loaded": sum(s["rows_loaded"] for s in loaded),
            }
            return summaries

        ingest(wait_for_files.output)

    return ingest_dag()


for _spec in feed_specs():
    globals()[ingest_dag_id(_spec["feed"])] = build_ingest_dag(_spec)
