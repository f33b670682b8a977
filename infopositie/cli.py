"""`infopositie`: the engineers' command line. Each command composes the layers; the work
itself lives in the layer that owns it (ingest/, warehouse/, dbt_project/, dashboards/)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
warehouse_app = typer.Typer(no_args_is_help=True, help="The warehouse: where it is, migrations.")
dashboards_app = typer.Typer(no_args_is_help=True, help="Metabase dashboards as code.")
contracts_app = typer.Typer(no_args_is_help=True, help="Feed contracts and what is derived from them.")
app.add_typer(contracts_app, name="contracts")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(dashboards_app, name="dashboards")
platform_app = typer.Typer(no_args_is_help=True, help="The running platform: a live Airflow that reacts to drops.")
app.add_typer(platform_app, name="platform")


def _url() -> str:
    from warehouse.connection import warehouse_url

    return warehouse_url()


def _migrated_url() -> str:
    from ingest.raw_tables import ensure_raw_tables
    from warehouse.migrate import migrate

    url = _url()
    migrate(url)
    ensure_raw_tables(url)
    return url


@warehouse_app.command("url")
def warehouse_url_cmd() -> None:
    """Print the warehouse URL (starting the embedded default if needed)."""
    typer.echo(_url())


@warehouse_app.command("migrate")
def warehouse_migrate() -> None:
    """Apply pending migrations, reload reference data, create missing raw tables."""
    from ingest.raw_tables import ensure_raw_tables
    from warehouse.migrate import migrate

    url = _url()
    applied = migrate(url)
    ensure_raw_tables(url)
    typer.echo(f"migrations applied: {len(applied)} {' '.join(applied)}")


@warehouse_app.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded default server (its data stays)."""
    from infopositie.settings import load_settings
    from warehouse.embedded import EmbeddedWarehouse

    stopped = EmbeddedWarehouse(load_settings().pgdata).stop()
    typer.echo("stopped" if stopped else "not running")


@contracts_app.command("render")
def contracts_render() -> None:
    """Regenerate everything derived from the feed contracts (partner pages, dbt sources)."""
    from ingest.contracts import dbt_sources, docs

    for path in docs.write_all() + dbt_sources.write_all():
        typer.echo(str(path))


@app.command()
def generate(
    out: Optional[Path] = typer.Option(None, help="Landing folder (default: the configured landing zone)."),
    start: str = typer.Option("2024-01", "--from", help="First month, JJJJ-MM."),
    end: str = typer.Option("2026-10", "--to", help="Last month, JJJJ-MM."),
    seed: int = typer.Option(20261128, help="Random seed; the same seed gives the same files."),
    defects: bool = typer.Option(False, help="Inject the defects the feed specs describe."),
    batch: int = typer.Option(0, help="With --defects: 1 writes the late deliveries (corrections) that "
                                      "must follow an ingest of batch 0."),
) -> None:
    """Write realistic synthetic partner deliveries into the landing zone."""
    from ingest.landing import open_landing_zone
    from ingest.synthetic import generate as generate_files

    zone = open_landing_zone(str(out) if out else None)
    keys = generate_files(zone, start=start, end=end, seed=seed, defects=defects, batch=batch)
    typer.echo(f"{len(keys)} files written to {zone.describe()}")


@app.command()
def ingest(
    landing: Optional[str] = typer.Option(None, help="Landing folder or s3:// URL (default: configured)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file processed."),
) -> None:
    """Validate, pseudonymise and load every file waiting in the landing zone."""
    from ingest.landing import open_landing_zone
    from ingest.pipeline import ingest_landing

    results = ingest_landing(open_landing_zone(landing), _migrated_url(), progress=not as_json)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            typer.echo(r.summary_line())
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@app.command()
def deliveries(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every delivery the audit trail knows."""
    from ingest.audit import list_deliveries

    rows = list_deliveries(_migrated_url())
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        for r in rows:
            typer.echo(f"{r['delivery_id']:>5} {r['status']:<11} {r['feed']:<22} {r['period'] or '':<8} "
                       f"{r['rows_received'] or 0:>8} {r['rows_loaded'] or 0:>8} {r['rows_rejected'] or 0:>6} {r['file']}")


@app.command()
def build(select: Optional[str] = typer.Option(None, help="dbt selection, e.g. 'staging+'")) -> None:
    """Build the dbt project (seeds, models, tests) into the warehouse, then its docs (catalog)."""
    from infopositie.dbt import dbt_build, dbt_docs_generate

    url = _migrated_url()
    rc = dbt_build(url, select=select)
    if rc == 0:
        # Only after a successful build: the catalog must describe the tables that were published.
        index = dbt_docs_generate(url)
        typer.echo(f"dbt docs: open {index} (or `.venv/bin/dbt docs serve --project-dir {index.parent.parent}"
                   f" --profiles-dir {index.parent.parent}`)")
    raise typer.Exit(rc)


@app.command()
def report(
    gemeente: str = typer.Option(..., help="Gemeentecode, e.g. GM0344."),
    kwartaal: str = typer.Option(..., help="Kwartaal, e.g. 2026-Q1."),
    out: Optional[Path] = typer.Option(None, help="Output folder."),
    publish: bool = typer.Option(False, help="Record it as handed to the driehoek (publication log, goal 1)."),
) -> None:
    """Render the local information picture of one gemeente for one quarter (HTML)."""
    from dashboards.report import render_report
    from infopositie.settings import load_settings

    path = render_report(_url(), gemeente=gemeente, kwartaal=kwartaal,
                         out_dir=out or load_settings().reports_dir, publish=publish)
    typer.echo(str(path))


@dashboards_app.command("apply")
def dashboards_apply(
    metabase_url: str = typer.Option(..., envvar="METABASE_URL"),
    username: Optional[str] = typer.Option(None, envvar="METABASE_USER"),
    password: Optional[str] = typer.Option(None, envvar="METABASE_PASSWORD"),
    api_key: Optional[str] = typer.Option(None, envvar="METABASE_API_KEY"),
) -> None:
    """Create or update the Metabase dashboards declared in dashboards/specs (idempotent)."""
    from dashboards.metabase.apply import apply_all

    summary = apply_all(metabase_url, username=username, password=password, api_key=api_key,
                        warehouse_url=_url())
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@platform_app.command("up")
def platform_up(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object describing the platform."),
    executor: str = typer.Option("local", help="local (LocalExecutor) or celery (CeleryExecutor)."),
    broker: Optional[str] = typer.Option(None, help="Celery broker, e.g. redis://127.0.0.1:6379/7."),
    workers: int = typer.Option(1, min=1, help="Number of Celery worker processes."),
    port: Optional[int] = typer.Option(None, help="api-server port (default: a free one)."),
) -> None:
    """Start Airflow (api-server, scheduler, dag-processor, triggerer[, Celery workers]) in the
    background; returns once the scheduler is healthy and the platform's DAGs are unpaused."""
    from infopositie.platform import PlatformError, up

    try:
        info = up(executor=executor, broker=broker, workers=workers, port=port)
    except PlatformError as exc:
        typer.echo(f"platform up failed: {exc}", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(info))
    else:
        typer.echo(f"Airflow {info['airflow_url']} ({info['executor']}); drop files in {info['landing']}")


@platform_app.command("status")
def platform_status(as_json: bool = typer.Option(False, "--json")) -> None:
    """What runs: each component's process, Airflow's health report."""
    from infopositie.platform import status

    info = status()
    if as_json:
        typer.echo(json.dumps(info))
        return
    if not info["running"]:
        typer.echo("not running")
        raise typer.Exit(3)
    typer.echo(f"Airflow {info['airflow_url']} ({info['executor']}), healthy: {info['healthy']}")
    for name, proc in info["processes"].items():
        typer.echo(f"  {name:<16} pid {proc['pid']:<8} {'running' if proc['running'] else 'STOPPED'}  {proc['log']}")


@platform_app.command("down")
def platform_down() -> None:
    """Stop everything `platform up` started (also after an `up` that failed half-way)."""
    from infopositie.platform import PlatformError, down

    try:
        stopped = down()
    except PlatformError as exc:
        typer.echo(f"platform down: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def demo() -> None:
    """The main job on the embedded default: generate, ingest, build, report, dashboards."""
    from infopositie.demo import run_demo

    raise typer.Exit(run_demo())


def main() -> None:
    from infopositie.settings import ensure_runtime_dir

    ensure_runtime_dir()
    app()


if __name__ == "__main__":
    sys.exit(main())
