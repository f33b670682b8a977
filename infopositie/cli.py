"""`infopositie`: the engineers' command line. Each command composes the layers; the work
itself lives in the layer that owns it (ingest/, warehouse/, dbt_project/, dashboards/)."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from config import Env, ensure_runtime_dir, load_settings

if TYPE_CHECKING:
    from ingest.landing import LandingZone

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
warehouse_app = typer.Typer(no_args_is_help=True, help="The warehouse: where it is, migrations.")
dashboards_app = typer.Typer(no_args_is_help=True, help="Metabase dashboards as code.")
contracts_app = typer.Typer(no_args_is_help=True, help="Feed contracts and what is derived from them.")
app.add_typer(contracts_app, name="contracts")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(dashboards_app, name="dashboards")
platform_app = typer.Typer(no_args_is_help=True, help="The running platform: a live Airflow that reacts to drops.")
app.add_typer(platform_app, name="platform")
retention_app = typer.Typer(no_args_is_help=True,
                            help="Retention: nothing row-level kept longer than its contract says.")
app.add_typer(retention_app, name="retention")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that need the whole platform.")
app.add_typer(bench_app, name="bench")


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
    from warehouse.embedded import EmbeddedWarehouse

    stopped = EmbeddedWarehouse(load_settings().pgdata).stop()
    typer.echo("stopped" if stopped else "not running")


@contracts_app.command("render")
def contracts_render() -> None:
    """Regenerate everything derived from the feed contracts (partner pages, dbt sources)."""
    from ingest.contracts import dbt_sources, docs

    for path in docs.write_all() + dbt_sources.write_all():
        typer.echo(str(path))


# No square brackets: typer renders help texts as rich markup.
STORE_HELP = ("The store: a folder holding landing/, archive/ and quarantine/, or an s3://bucket URL "
              "(optionally s3://bucket/prefix); default: the configured store.")


def _store_option(store: str | None, deprecated: str | None, deprecated_name: str) -> str | None:
    """The value of --store, or of the older option that named the same thing less clearly."""
    if deprecated is None:
        return store
    if store is not None:
        raise typer.BadParameter(f"give --store only (not also {deprecated_name})", param_hint="--store")
    typer.echo(f"{deprecated_name} is deprecated: it names the store root (holding landing/, archive/ and "
               "quarantine/), not the landing area; use --store", err=True)
    return deprecated


def _open_store(store: str | None, *, existing: bool) -> LandingZone:
    """The store an option names (default: the configured one); a folder that cannot be a store
    root is refused with what to pass instead, before anything is read or written there."""
    from ingest.contracts import all_contracts
    from ingest.landing import NotAStoreRoot, check_store_root, open_landing

    location = store or load_settings().landing_url
    if not location.startswith("s3://"):
        prefixes = {p for c in all_contracts() for p in c.watch_prefixes}
        try:
            # The configured store may be new (a fresh clone): only a named one must exist already.
            check_store_root(Path(location), prefixes, existing=existing and store is not None)
        except NotAStoreRoot as err:
            raise typer.BadParameter(str(err), param_hint="--store") from None
    return open_landing(location)


def _month(value: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value.strip()):
        raise typer.BadParameter(f"{value!r} is not a month: expected JJJJ-MM, e.g. 2026-01")
    return value.strip()


@app.command()
def generate(
    store: str | None = typer.Option(None, help=STORE_HELP + " Created when missing."),
    out: str | None = typer.Option(None, hidden=True, help="Deprecated: --store."),
    start: str = typer.Option("2024-01", "--from", callback=_month, help="First month, JJJJ-MM."),
    end: str = typer.Option("2026-10", "--to", callback=_month, help="Last month, JJJJ-MM."),
    seed: int = typer.Option(20261128, help="Random seed; the same seed gives the same files."),
    defects: bool = typer.Option(False, help="Inject the defects the feed specs describe."),
    batch: int = typer.Option(0, min=0, max=1, help="With --defects: 1 writes the late deliveries "
                                                    "(corrections) that must follow an ingest of batch 0."),
) -> None:
    """Write realistic synthetic partner deliveries into the landing area of a store."""
    from infopositie.checkout import synthetic

    if end < start:
        raise typer.BadParameter(f"--to {end} lies before --from {start}", param_hint="--to")
    if batch and not defects:
        # Without defects every delivery is in batch 0: batch 1 would silently write nothing.
        raise typer.BadParameter("batch 1 holds the late corrections of --defects: add --defects",
                                 param_hint="--batch")
    zone = _open_store(_store_option(store, out, "--out"), existing=False)
    keys = synthetic().generate(zone, start=start, end=end, seed=seed, defects=defects, batch=batch)
    typer.echo(f"{len(keys)} files written to {zone.describe()}")


@app.command()
def ingest(
    store: str | None = typer.Option(None, help=STORE_HELP),
    landing: str | None = typer.Option(None, hidden=True, help="Deprecated: --store."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file processed."),
) -> None:
    """Validate, pseudonymise and load every file waiting in the landing area of a store."""
    from ingest.arrow_only import keep_pandas_out_of_arrow
    from ingest.pipeline import ingest_landing

    keep_pandas_out_of_arrow()

    zone = _open_store(_store_option(store, landing, "--landing"), existing=True)
    results = ingest_landing(zone, _migrated_url(), progress=not as_json)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            typer.echo(r.summary_line())


@app.command()
def reprocess(
    delivery_id: int = typer.Argument(..., help="The delivery whose kept original is ingested again."),
    store: str | None = typer.Option(None, help=STORE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the new delivery as one JSON object."),
) -> None:
    """Ingest a delivery again from its sealed original, opened in memory only."""
    from ingest.landing.sealed import SealedStore
    from ingest.pseudonymise import load_key
    from ingest.reprocess import CannotReprocess
    from ingest.reprocess import reprocess as run
    from ingest.sealing import load_archive_key

    settings = load_settings()
    sealed = SealedStore(_open_store(store, existing=True), load_archive_key(settings.archive_key_file))
    try:
        result = run(_migrated_url(), sealed, delivery_id, load_key(settings.pseudonym_key_file))
    except CannotReprocess as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) if as_json else result.summary_line())


def _day(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise typer.BadParameter(f"{value!r} is not a day: expected JJJJ-MM-DD, e.g. 2027-02-01")
    return value


@retention_app.command("apply")
def retention_apply(
    today: str | None = typer.Option(None, callback=_day, help="Apply the rules as of this day, JJJJ-MM-DD "
                                                                "(default: today)."),
    store: str | None = typer.Option(None, help=STORE_HELP),
    landing: str | None = typer.Option(None, help="The same as --store (the store root or s3:// URL)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per removal."),
) -> None:
    """Remove row-level data past its feed's retention_years (raw, rejected rows, kept originals)
    and kept originals past archive_days; every removal is logged in audit.purges. Derived tables
    follow at the next build."""
    from datetime import date

    from ingest.retention import apply

    if store is not None and landing is not None:
        raise typer.BadParameter("give --store or --landing, not both", param_hint="--store")
    zone = _open_store(store or landing, existing=True)
    purges = apply(_migrated_url(), zone, date.fromisoformat(today) if today else date.today())
    if as_json:
        typer.echo(json.dumps([p.as_dict() for p in purges], ensure_ascii=False, indent=2))
        return
    for p in purges:
        typer.echo(f"{p.feed:<22} levering {p.delivery_id:>6} {p.rule:<18} {p.rows_removed:>8} rijen  {p.what}")
    deliveries = {(p.feed, p.delivery_id) for p in purges}
    typer.echo(f"{len(purges)} verwijderingen, {len(deliveries)} leveringen, "
               f"{sum(p.rows_removed for p in purges)} rijen")


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
                       f"{r['rows_received'] or 0:>8} {r['rows_loaded'] or 0:>8} {r['rows_rejected'] or 0:>6} "
                       f"{r['file']}")


@app.command()
def build(select: str | None = typer.Option(None, help="dbt selection, e.g. 'staging+'"),
          full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild everything.")) -> None:
    """Build the dbt project (seeds, models, tests) into the warehouse, then its docs (catalog).

    Without --select or --full-refresh only what depends on the feeds that got new deliveries
    since the last successful build that covered them; everything when there is no complete build
    to build on (the first build, or the last one failed)."""
    from infopositie.dbt import dbt_build, dbt_docs_generate, incremental_build

    url = _migrated_url()
    plan = None
    if select is None and not full_refresh:
        plan = incremental_build(url)
        if plan is None:
            typer.echo("no complete build to build on (first build, or the last one failed): building everything")
        elif not plan.feeds:
            typer.echo("nothing delivered since the last build: nothing to build (--full-refresh rebuilds anyway)")
            raise typer.Exit(0)
        else:
            select = plan.select
            typer.echo(f"new deliveries of {', '.join(plan.feeds)}: building what depends on them")
            if not plan.unit_tests:
                typer.echo("unit tests: a full build passed them for this code; not run again "
                           "(a change of the dbt project, or --full-refresh, runs them)")
            if plan.raw_tests_on is not None:
                typer.echo(f"tests on raw data: the rows of {len(plan.raw_tests_on)} new deliveries "
                           "(the rows before them passed the same tests with this code)")
    incremental = plan is not None
    # Code a full build already passed has its manifest on disk: an incremental build need not write it again.
    rc = dbt_build(url, select=select, full_refresh=full_refresh, unit_tests=plan.unit_tests if plan else True,
                   raw_tests_on=plan.raw_tests_on if plan else None, rewrite_artifacts=plan is None or plan.unit_tests)
    if rc == 0:
        # Only after a successful build: the catalog must describe the tables that were published.
        index = dbt_docs_generate(url, unless_unchanged=incremental)
        typer.echo(f"dbt docs: open {index} (one self-contained page, opens from disk)")
    raise typer.Exit(rc)


@app.command()
def report(
    kwartaal: str = typer.Option(..., help="Kwartaal, JJJJ-Qn, e.g. 2026-Q1."),
    gemeente: str | None = typer.Option(None, help="Gemeente, by code or name, e.g. GM0344 or Utrecht: "
                                                   "the driehoek's document."),
    district: str | None = typer.Option(None, help="District name, e.g. 'Gooi en Vechtstreek': "
                                                   "the werkgroep's document."),
    regio: bool = typer.Option(False, "--regio", help="The unit-wide cyber picture for the stuurgroep."),
    out: Path | None = typer.Option(None, help="Output folder (default: reports/ in the platform home)."),
    publish: bool = typer.Option(False, help="Record it as handed to the driehoek (publication log, goal 1)."),
    fmt: str = typer.Option("html", "--format", help="html, or pdf (A4, printed by Chromium)."),
) -> None:
    """Render the information picture of one gemeente, district or the region for one quarter;
    prints the file's path as the last line."""
    from dashboards.report.data import ReportInputError
    from dashboards.report.render import render_area

    chosen = [(n, v) for n, v in (("gemeente", gemeente), ("district", district), ("regio", regio)) if v]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --gemeente, --district, --regio")
    if fmt not in ("html", "pdf"):
        raise typer.BadParameter("html of pdf", param_hint="--format")
    niveau, value = chosen[0]
    if publish and niveau != "gemeente":
        raise typer.BadParameter("--publish records a driehoek's document: only with --gemeente")
    try:
        path = render_area(_url(), niveau=niveau, gebied=value if isinstance(value, str) else None,
                           kwartaal=kwartaal, out_dir=out or load_settings().reports_dir, publish=publish, fmt=fmt)
    except ReportInputError as err:
        # An unknown gemeente or a quarter without figures is the caller's input, not a crash.
        typer.secho(str(err), fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(path))


@dashboards_app.command("apply")
def dashboards_apply(
    metabase_url: str = typer.Option(..., envvar=Env.METABASE_URL),
    username: str | None = typer.Option(None, envvar=Env.METABASE_USER),
    password: str | None = typer.Option(None, envvar=Env.METABASE_PASSWORD),
    api_key: str | None = typer.Option(None, envvar=Env.METABASE_API_KEY),
) -> None:
    """Create or update the Metabase dashboards declared in dashboards/specs (idempotent)."""
    from dashboards.metabase.apply import apply_all

    summary = apply_all(metabase_url, username=username, password=password, api_key=api_key,
                        warehouse_url=_url())
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@dashboards_app.command("check")
def dashboards_check(as_json: bool = typer.Option(False, "--json", help="Print a list of "
                                                  "{dashboard, card, audience, role, ok, rows}.")) -> None:
    """Run every card of every dashboard as each of its audiences' roles (filters at their
    defaults) against the warehouse, through the SQL the apply sends; exit 1 when a card fails."""
    from collections import Counter

    from dashboards.check import check_all

    results = check_all(_url())
    failed = [r for r in results if not r.ok]
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        runs = Counter((r.dashboard, r.ok) for r in results)
        for dashboard in sorted({r.dashboard for r in results}):
            audiences = len({r.audience for r in results if r.dashboard == dashboard})
            typer.echo(f"{dashboard}: {runs[(dashboard, True)]} card runs ok, {runs[(dashboard, False)]} failed"
                       f" ({audiences} audiences)")
        for r in failed:
            typer.echo(f"FAILED {r.dashboard}/{r.card} as {r.role} ({r.audience}): {r.error}", err=True)
    if failed or not results:
        raise typer.Exit(1)


@platform_app.command("up")
def platform_up(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object describing the platform."),
    executor: str = typer.Option("local", help="local (LocalExecutor) or celery (CeleryExecutor)."),
    broker: str | None = typer.Option(None, help="Celery broker, e.g. redis://127.0.0.1:6379/7."),
    workers: int = typer.Option(1, min=1, help="Number of Celery worker processes."),
    port: int | None = typer.Option(None, help="api-server port (default: a free one)."),
) -> None:
    """Start Airflow (api-server, scheduler, dag-processor, triggerer[, Celery workers]) in the
    background; returns once the scheduler is healthy and the platform's DAGs are unpaused."""
    from infopositie.platform import PlatformError, up

    try:
        info = up(executor=executor, broker=broker, workers=workers, port=port)
    except PlatformError as exc:
        typer.echo(f"platform up failed: {exc}", err=True)
        raise typer.Exit(1) from None
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
    build = info.get("last_build")
    if build:
        typer.echo(f"last dbt {build['command']} {build['finished_at']}: {build['status']} "
                   f"({build['ok']} ok, {build['failed']} failed, {build['skipped']} skipped)")
        for node in build["failed_nodes"]:
            typer.echo(f"  failed: {node}")


@platform_app.command("down")
def platform_down() -> None:
    """Stop everything `platform up` started (also after an `up` that failed half-way)."""
    from infopositie.platform import PlatformError, down

    try:
        stopped = down()
    except PlatformError as exc:
        typer.echo(f"platform down: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@bench_app.command("scale")
def bench_scale(
    municipalities: int = typer.Option(342, help="Gemeenten in all: the real 38 plus synthetic ones (GM9001 and up)."),
    units: int = typer.Option(10, help="Police units: Midden-Nederland plus synthetic ones (SY1 and up)."),
    years: int = typer.Option(10, help="Years of deliveries before the new month."),
    police_rows: int = typer.Option(2_000_000, help="Police registrations over those years (at least)."),
    queries: int = typer.Option(200, help="Dashboard card queries to time, as the audiences' roles."),
    seed: int = typer.Option(20261205, help="Random seed of the reference and the deliveries."),
    as_json: bool = typer.Option(False, "--json", help="End with one JSON object of the figures."),
) -> None:
    """A synthetic national warehouse in the warehouse pointed at: reference, deliveries of every
    feed, a full build, one new police month and the incremental build, then dashboard queries as
    the audiences' roles. Prints the figures; with --json the last line is one JSON object."""
    from psycopg.conninfo import conninfo_to_dict

    from infopositie.checkout import bench_scale as checkout_bench

    scale = checkout_bench()
    size_type, run = scale.ScaleSize, scale.run

    url = _url()
    size = size_type(municipalities=municipalities, units=units, years=years, police_rows=police_rows,
                     queries=queries, seed=seed)
    try:
        size.check()
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    state = load_settings().home / "bench-scale" / str(conninfo_to_dict(url).get("dbname") or "warehouse")
    figures = run(url, size, state_dir=state, log=lambda line: typer.echo(line, err=as_json))
    typer.echo(f"reference kept in {state / 'reference'}: set {Env.REFERENCE_DIR} to it for a later build "
               "of this warehouse", err=as_json)
    if as_json:
        typer.echo(json.dumps(figures))
    else:
        for name, value in figures.items():
            typer.echo(f"{name:<22} {value}")


@app.command()
def demo() -> None:
    """The main job on the embedded default: generate, ingest, build, report, dashboards."""
    from infopositie.demo import run_demo

    raise typer.Exit(run_demo())


def main() -> None:
    ensure_runtime_dir()
    app()


if __name__ == "__main__":
    sys.exit(main())
