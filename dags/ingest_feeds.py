"""One ingest DAG per partner feed, generated from the feed contracts (ingest/contracts/*.yaml).

    wait_for_files  (sensor, reschedule mode: frees its worker slot between pokes)
        -> ingest   (validate, pseudonymise, load; emits the Asset infopositie://raw/<feed>)

The Asset is emitted only when at least one file was loaded: when every file was refused or was a
duplicate, the ingest task ends as *skipped*, and Airflow records no asset event for a skipped task,
so dbt does not rebuild for nothing. The per-file summaries are in the XCom `deliveries` either way.

Parsing must stay cheap (the dag-processor re-parses this file every few minutes): only Airflow and
the contract YAML are read here; pandas, Great Expectations, psycopg and the pipeline are imported
inside the tasks.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, Param, PokeReturnValue, dag, task

from infopositie.orchestrate import OWNER, feed_specs, ingest_dag_id, raw_asset_uri

# Feeds arrive monthly or less often: one run a day whose sensor waits most of the day is enough,
# and a file dropped at any hour is picked up within one poke interval. Reschedule mode, not a
# deferrable trigger: the poke has to go through the LandingZone interface (local folder or S3),
# and Airflow's deferrable FileSensor only watches local paths.
POKE_INTERVAL = timedelta(minutes=10)
WAIT_AT_MOST = timedelta(hours=23)


def build_ingest_dag(spec: dict[str, Any]):
    feed = spec["feed"]
    prefixes = ", ".join(f"`{p}`" for p in spec["landing_prefixes"])
    asset = Asset(raw_asset_uri(feed))

    @dag(
        dag_id=ingest_dag_id(feed),
        description=f"{spec['partner']}: {spec['title']}",
        doc_md=f"### {spec['title']}\n\n{spec['description']}\n\nLanding: {prefixes} - "
               f"cadence: {spec['cadence']}. Generated from `ingest/contracts/{feed}.yaml`.",
        schedule="@daily",
        start_date=datetime(2024, 1, 1),
        catchup=False,
        max_active_runs=1,  # the pipeline serialises per feed anyway; two runs would only queue
        default_args={"owner": OWNER},
        tags=["ingest", f"partner:{spec['partner_code']}", f"feed:{feed}"],
        params={"wait_for_files": Param(True, type="boolean",
                                        description="False: skip at once when no file is waiting.")},
    )
    def ingest_dag() -> None:
        @task.sensor(task_id="wait_for_files", mode="reschedule", poke_interval=POKE_INTERVAL,
                     timeout=WAIT_AT_MOST, soft_fail=True, retries=2, retry_delay=timedelta(minutes=5))
        def wait_for_files() -> PokeReturnValue:
            from airflow.sdk import get_current_context
            from airflow.sdk.exceptions import AirflowSkipException

            from config import load_settings
            from ingest.contracts import contract_for_key, load_contract
            from ingest.landing import open_landing

            zone = open_landing(load_settings().landing_url)
            # Exactly the files ingest_landing(feeds=[feed]) will take: under a watched prefix and
            # recognised by the contract (a {partner} folder matches any partner's folder).
            candidates = {key for prefix in load_contract(feed).watch_prefixes for key in zone.waiting(prefix)}
            waiting = sorted(k for k in candidates if (c := contract_for_key(k)) is not None and c.feed == feed)
            if not waiting and not get_current_context()["params"]["wait_for_files"]:
                raise AirflowSkipException(f"Geen bestanden voor {feed}: niets te doen.")
            return PokeReturnValue(is_done=bool(waiting), xcom_value=waiting)

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

        ingest(wait_for_files())

    return ingest_dag()


for _spec in feed_specs():
    globals()[ingest_dag_id(_spec["feed"])] = build_ingest_dag(_spec)
