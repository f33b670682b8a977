"""`make demo`: the main job, end to end, on the embedded default (or WAREHOUSE_URL).

generate partner deliveries -> Airflow ingest DAGs (dag.test) -> Airflow dbt DAG (Cosmos) ->
documents per gemeente -> dashboards. Safe to run again: the same files are recognised as
duplicates and nothing is loaded twice.
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import typer

from config import PROJECT_ROOT, MetabaseSettings, load_settings
from warehouse.connection import connect

DEMO_START, DEMO_END = "2024-01", "2026-10"
# The driehoeken discuss a local picture at least twice a year (goal 1): the demo publishes two.
REPORT_QUARTERS = ("2026-Q2", "2026-Q3")


def _step(title: str) -> float:
    typer.secho(f"\n== {title}", bold=True)
    return time.perf_counter()


def _done(started: float, text: str = "") -> None:
    typer.echo(f"   {text}{' ' if text else ''}({time.perf_counter() - started:.1f} s)")


def run_demo(start: str = DEMO_START, end: str = DEMO_END, quarters: tuple[str, ...] = REPORT_QUARTERS) -> int:
    from infopositie import orchestrate
    from infopositie.checkout import synthetic
    from ingest.contracts import all_contracts, contract_for_key
    from ingest.landing import open_landing
    from ingest.pseudonymise import load_key
    from ingest.raw_tables import ensure_raw_tables
    from ingest.sealing import load_archive_key
    from warehouse.connection import warehouse_url
    from warehouse.migrate import migrate

    settings = load_settings()
    t = _step("Warehouse")
    url = warehouse_url()
    applied = migrate(url)
    ensure_raw_tables(url)
    load_key(settings.pseudonym_key_file, create=True)  # a local key on first run; production: secrets store
    load_archive_key(settings.archive_key_file, create=True)  # seals the kept originals (ingest/sealing.py)
    _done(t, f"{'embedded default' if not settings.warehouse_url else 'WAREHOUSE_URL'}, "
             f"{len(applied)} new migrations")

    zone = open_landing(settings.landing_url)
    _done(t, f"landing zone: {zone.describe()}")
    feeds = [c.feed for c in all_contracts()]
    summaries = []
    for batch, label in ((0, "the monthly deliveries, with realistic defects"),
                         (1, "late deliveries: a corrected month and a refused file")):
        t = _step(f"Partner deliveries: {label}")
        keys = synthetic().generate(zone, start=start, end=end, defects=True, feeds=feeds, batch=batch)
        _done(t, f"{len(keys)} files in {zone.describe()}")
        # Only the feeds that received files: every other DAG run would only find nothing and skip.
        delivered = sorted({c.feed for key in keys if (c := contract_for_key(key)) is not None})
        if not delivered:
            continue
        t = _step("Airflow: ingest DAG per feed that received files (dag.test)")
        summaries.append(orchestrate.run_feed_dags(delivered))
        _done(t, _states(summaries[-1]))
        if not _succeeded(summaries[-1]):
            typer.secho("an ingest DAG failed; see the task logs above", fg="red")
            return 1

    t = _step("Airflow: dbt DAG through Cosmos (dag.test)")
    dbt_summary = orchestrate.run_dbt_dag()
    _done(t, _states(dbt_summary))
    if not _succeeded(dbt_summary):
        typer.secho("dbt DAG failed; see the task logs above", fg="red")
        return 1

    t = _step(f"Documents: local information picture per gemeente, {' and '.join(quarters)}")
    reports = [path for quarter in quarters for path in _render_reports(url, settings.reports_dir, quarter)]
    # The KPI monitor counts published pictures (goal 1): refresh it with this run's publications.
    from infopositie.dbt import dbt_build

    if dbt_build(url, select="int_kpi__informatiebeelden+") != 0:
        typer.secho("refreshing the KPI monitor failed", fg="red")
        return 1
    _done(t, f"{len(reports)} documents, published to their driehoek; KPI monitor refreshed")

    t = _step("dbt docs: lineage, column descriptions and catalog")
    from infopositie.dbt import dbt_docs_generate

    docs = dbt_docs_generate(url)
    _done(t, str(docs))

    t = _step("Dashboards")
    dashboards = _dashboards(url, settings.metabase)
    _done(t)

    _print_summary(url, reports, dashboards, docs)
    return 0


def _task_states(summary: dict) -> list[str]:
    """Task states of every DAG run in an orchestrate summary ({dag_id: {"tasks": {...}}})."""
    return [str(state) for run in summary.values() if isinstance(run, dict)
            for state in (run.get("tasks") or {}).values()]


def _states(summary: dict) -> str:
    counts = Counter(_task_states(summary))
    runs = Counter(str(run.get("state")) for run in summary.values() if isinstance(run, dict))
    return (f"{len(summary)} DAG runs ({', '.join(f'{n} {s}' for s, n in sorted(runs.items()))}); tasks: "
            + (", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"))


def _succeeded(summary: dict) -> bool:
    return not any(s in ("failed", "upstream_failed") for s in _task_states(summary))


def _render_reports(url: str, out_dir: Path, quarter: str) -> list[Path]:
    from tqdm import tqdm

    from dashboards.report import render_report

    with connect(url) as conn:
        codes = [c for (c,) in conn.execute(
            "select gemeentecode from reference.gemeenten where geldig_tot is null order by gemeentecode")]
    # The demo hands every document to its driehoek: the publication log feeds KPI goal 1.
    with connect(url) as conn:
        done = {g for (g,) in conn.execute("select gemeentecode from audit.publications where periode = %s",
                                           (quarter,))}
    return [render_report(url, gemeente=code, kwartaal=quarter, out_dir=out_dir, publish=code not in done)
            for code in tqdm(codes, desc="documenten", unit="gemeente")]


def _dashboards(url: str, metabase: MetabaseSettings) -> str:
    if not metabase.url:
        return ("not applied: no METABASE_URL. With Metabase running (docker compose up metabase):\n"
                "     METABASE_URL=http://localhost:3000 METABASE_USER=... METABASE_PASSWORD=... "
                ".venv/bin/infopositie dashboards apply")
    from dashboards.metabase.apply import apply_all

    summary = apply_all(metabase.url, username=metabase.username, password=metabase.password,
                        api_key=metabase.api_key, warehouse_url=url)
    return f"applied to {metabase.url}: {summary}"


def _print_summary(url: str, reports: list[Path], dashboards: str, docs: Path) -> None:
    with connect(url) as conn:
        by_status = conn.execute(
            "select status, count(*), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0)"
            " from audit.deliveries group by status order by status").fetchall()
        reporting = [r for (r,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'reporting' order by 1")]
    typer.secho("\n== Results", bold=True)
    typer.echo(f"   warehouse:  {url}")
    for status, files, loaded, rejected in by_status:
        typer.echo(f"   deliveries: {files:>4} {status:<11} rows loaded {loaded:>8}, rejected {rejected:>5}")
    typer.echo(f"   reporting:  {', '.join('reporting.' + r for r in reporting)}")
    if reports:
        typer.echo(f"   documents:  {len(reports)} in {reports[0].parent} (e.g. {reports[0].name})")
    typer.echo(f"   dbt docs:   {docs} (lineage, columns and catalog of every model)")
    typer.echo(f"   dashboards: spec in {PROJECT_ROOT / 'dashboards' / 'specs'}; {dashboards}")
    typer.echo("   audit:      .venv/bin/infopositie deliveries")
