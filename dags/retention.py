"""Retention, daily: nothing row-level is kept longer than its feed's contract says.

One task per feed (generated from the contracts) applies `ingest.retention.apply` for that feed as
of the run's day: deliveries past `retention_years` leave raw, `audit.rejected_rows` and the store;
sealed originals past `archive_days` leave the store. Every removal is logged in `audit.purges`.
A task that removed rows emits the feed's raw Asset, so the dbt DAG rebuilds what derives from it
(the marts and intermediate tables then lose the expired rows too); one that removed no rows ends
as skipped and emits nothing. The logic lives in ingest/retention.py; this file only schedules it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from airflow.sdk import Asset, Param, dag, task

from infopositie.orchestrate import OWNER, RETENTION_DAG_ID, feed_specs, raw_asset_uri

DOC = """### Bewaartermijnen (retention)

Every day, per feed: removes the deliveries whose period ended more than the contract's
`retention_years` ago from `raw.<feed>`, `audit.rejected_rows` and the store (sealed original and
report), and deletes sealed originals older than the contract's `archive_days` (default 90).
Each removal is a row in `audit.purges` (what, rows, rule, role). A feed task that removed rows
emits `infopositie://raw/<feed>`, which starts `dbt_build`: the derived tables follow.
Owner: team-infopositie. Code: `ingest/retention.py`; by hand: `infopositie retention apply`.
"""


@dag(
    dag_id=RETENTION_DAG_ID,
    description="Bewaartermijnen per gegevensstroom toepassen (raw, afgekeurde regels, bewaarde originelen)",
    doc_md=DOC,
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": OWNER},
    tags=["housekeeping", "retention"],
    params={"today": Param(None, type=["null", "string"], format="date",
                           description="Apply the rules as of this day (JJJJ-MM-DD); empty: the run's own day.")},
)
def retention() -> None:
    for spec in feed_specs():
        feed = spec["feed"]
        asset = Asset(raw_asset_uri(feed))

        # Retries: the work is I/O (warehouse, store); the rules themselves are deterministic.
        @task(task_id=f"apply_{feed}", outlets=[asset], retries=2, retry_delay=timedelta(minutes=5))
        def apply(feed: str = feed, asset: Asset = asset) -> list[dict[str, Any]]:
            from airflow.sdk import get_current_context
            from airflow.sdk.exceptions import AirflowSkipException

            from config import load_settings
            from ingest.contracts import load_contract
            from ingest.landing import open_landing
            from ingest.retention import apply as apply_retention
            from warehouse.connection import warehouse_url

            context = get_current_context()
            given = context["params"].get("today")
            logical = context.get("logical_date")
            today = (date.fromisoformat(given) if given else logical.date() if logical else datetime.now().date())
            purges = [p.as_dict() for p in apply_retention(warehouse_url(), open_landing(load_settings().landing_url),
                                                           today, [load_contract(feed)])]
            for p in purges:
                print(f"{p['what']}: {p['rows_removed']} rows ({p['rule']}, delivery {p['delivery_id']})")
            context["ti"].xcom_push(key="purges", value=purges)
            rows = sum(p["rows_removed"] for p in purges if not p["what"].startswith(("archive/", "quarantine/")))
            deliveries = sorted({p["delivery_id"] for p in purges if p["rule"].startswith("retention_years")})
            if not deliveries:
                raise AirflowSkipException(f"{feed}: niets verlopen op {today}; geen nieuwe build nodig.")
            context["outlet_events"][asset].extra = {"purged_delivery_ids": deliveries, "rows_removed": rows}
            return purges

        apply()


retention()
