"""Running the dbt project (dbt_project/) in-process against a warehouse URL.

dbt runs through `dbtRunner` in this interpreter: no subprocess, the same pinned dbt as the rest
of the platform. dbt_project/profiles.yml reads its connection from INFOPOSITIE_DBT_* variables,
which `dbt_env` derives from the URL, so the one place that knows where the warehouse is stays
`warehouse.connection.warehouse_url()`.
"""
from __future__ import annotations

import fcntl
import getpass
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from config import DBT_PROJECT_DIR, Env, load_settings

__all__ = ["DBT_PROJECT_DIR", "TARGET_DIR", "MANIFEST", "DOCS_INDEX", "CATALOG", "dbt_env", "dbt_invoke",
           "dbt_build", "dbt_parse", "dbt_docs_generate"]

# INFOPOSITIE_DBT_TARGET moves dbt's output (manifest, run results, docs) elsewhere: each parallel
# test worker has its own, so no run reads another one's results.
TARGET_DIR: Path = load_settings().dbt_target_dir
MANIFEST: Path = TARGET_DIR / "manifest.json"
# What `dbt docs generate --static` writes next to the manifest: the site as one self-contained
# page (manifest and catalog inlined) and the warehouse catalog. The plain index.html is useless
# opened from disk: the browser blocks its fetch of manifest.json and it stays on "(loading)".
DOCS_INDEX: Path = TARGET_DIR / "static_index.html"
CATALOG: Path = TARGET_DIR / "catalog.json"

# dbt keeps global state (flags, adapter registry) per process and writes target/ per project:
# one invocation at a time per process (thread lock) and per checkout (file lock).
_PROCESS_LOCK = threading.Lock()


def dbt_env(url: str) -> dict[str, str]:
    """The variables dbt_project/profiles.yml reads, from a libpq URL or key=value string."""
    params = conninfo_to_dict(url)
    # libpq's own defaults, so that a URL that omits a part means what it means to psql.
    user = str(params.get("user") or os.environ.get("PGUSER") or getpass.getuser())
    return {
        Env.DBT_HOST: str(params.get("host") or params.get("hostaddr") or "localhost"),
        Env.DBT_PORT: str(params.get("port") or 5432),
        Env.DBT_USER: user,
        Env.DBT_PASSWORD: str(params.get("password") or ""),
        Env.DBT_DBNAME: str(params.get("dbname") or user),
    }


@contextmanager
def _exclusive(url: str) -> Iterator[None]:
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    with _PROCESS_LOCK, open(TARGET_DIR / ".infopositie-dbt.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with environment(dbt_env(url)):
            yield


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ for the block (dbt reads its settings there); the previous values
    back afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


PROFILES_YML = DBT_PROJECT_DIR / "profiles.yml"


def profile_and_target() -> tuple[str, str]:
    """Profile and target name, from dbt_project.yml and profiles.yml (no dbt import)."""
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    profile = project["profile"]
    profiles = yaml.safe_load(PROFILES_YML.read_text(encoding="utf-8"))
    return profile, profiles[profile].get("target", "default")


def dbt_invoke(url: str, args: list[str]) -> Any:
    """Any dbt command (e.g. ["source", "freshness"]) against `url`; returns the dbtRunnerResult."""
    from dbt.cli.main import dbtRunner

    with _exclusive(url):
        return dbtRunner().invoke(dbt_cli_args(args))


def dbt_cli_args(args: list[str]) -> list[str]:
    """`args` (e.g. ["build"]) with this project's profile, target and folders, as dbt_invoke
    passes them; also for running the `dbt` command itself with dbt_env(url) (bench.platform).

    Profile and target are named explicitly, as Cosmos names them in the Airflow producer: dbt
    keeps its partial parse (target/partial_parse.msgpack) only for the same command-line profile
    and target, and a full parse costs the Airflow build about 6 s."""
    profile, target = profile_and_target()
    named = ["--profile", profile, "--target", target] if args[0] not in ("deps", "clean", "init") else []
    return [*args, *named, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(TARGET_DIR)]


# What decides what the models compute: everything in dbt_project/ but its output and its
# connection profile (the same code on another warehouse is the same code).
_NOT_CODE = {"target", "logs", "profiles.yml", ".user.yml"}


def code_version(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A digest of the dbt project's code (models, macros, tests, seeds, project file) and of
    dbt's version: equal digests give equal unit test verdicts."""
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(f"dbt-core {version('dbt-core')}\n".encode())
    for path in sorted(p for p in project_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(project_dir)
        if relative.parts[0] in _NOT_CODE:
            continue
        digest.update(f"{relative.as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def unit_tests_passed(url: str, version: str) -> bool:
    """A successful full build of this code passed its unit tests in this warehouse
    (audit.dbt_runs, V013): running them again would give the same verdict."""
    from warehouse.connection import connect

    try:
        with connect(url, autocommit=True, connect_timeout=10) as conn:
            return bool(conn.execute(
                "select exists (select from audit.dbt_runs where command = 'build' and selection is null"
                " and status = 'geslaagd' and code_version = %s and unit_tests > 0)", (version,)).fetchone()[0])
    except Exception:  # noqa: BLE001 - no record (an older warehouse): run them
        return False


def _record_code(url: str, result: Any, version: str) -> None:
    """The hook wrote the run's row; add which code it built and how many unit tests passed."""
    from dbt_common.invocation import get_invocation_id  # the invocation that just ended

    from config import Role
    from warehouse.connection import connect

    results = getattr(result.result, "results", None) or []
    passed = sum(1 for r in results if r.node.resource_type == "unit_test" and str(r.status) == "pass")
    with connect(url, role=Role.TRANSFORMER, autocommit=True) as conn:
        conn.execute("update audit.dbt_runs set code_version = %s, unit_tests = %s where invocation_id = %s",
                     (version, passed, get_invocation_id()))


# The session setting the project's get_where_subquery reads (macros/platform/get_where_subquery.sql).
TEST_ONLY_DELIVERIES = "infopositie.te_testen_leveringen"
# The session setting the quarterly models compare with the code they were built with (V014).
CODE_VERSION = "infopositie.code_version"


def code_version_option(version: str | None = None) -> str:
    """What PGOPTIONS needs so that the quarterly models know which code runs and recompute only
    the quarters whose input changed (dbt_project/macros/platform/kwartalen.sql)."""
    return f" -c {CODE_VERSION}={version or code_version()}"


def dbt_build(url: str, select: str | None = None, *, full_refresh: bool = False, unit_tests: bool = True,
              raw_tests_on: list[int] | None = None, rewrite_artifacts: bool = True) -> int:
    """`dbt build` (seeds, models, data tests, and unless `unit_tests` is false unit tests) into
    the warehouse at `url`: 0 or 1. Records which code it built (audit.dbt_runs.code_version).
    `raw_tests_on`: the data tests on raw sources read only these deliveries' rows (see
    deliveries_to_test); None: every row.

    Writes dbt_project/target/manifest.json and run_results.json like any dbt invocation, except
    with `rewrite_artifacts` false when the manifest there is this code's, written by a build of
    ours and not touched since (MANIFEST_STAMP): then dbt writes no JSON (about 0.5 s of an
    incremental build) and run_results.json is removed, so that no file shows another build's
    results; the build's outcome is in audit.dbt_runs and on the console."""
    args = ["build"] + (["--select", *select.split()] if select else []) + (["--full-refresh"] if full_refresh else [])
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    version = code_version()
    keep_artifacts = not rewrite_artifacts and _manifest_is_of(version)
    if keep_artifacts:
        args += ["--no-write-json"]
        RUN_RESULTS.unlink(missing_ok=True)
    else:
        MANIFEST_STAMP.unlink(missing_ok=True)
    started = time.monotonic()
    # Session settings on every connection dbt opens (libpq reads PGOPTIONS), not dbt vars: a var
    # that changes from build to build makes dbt parse the whole project again (about 4.5 s).
    # The code version lets the quarterly models recompute only the quarters whose input changed
    # (dbt_project/macros/platform/kwartalen.sql); without it they recompute every quarter.
    settings = code_version_option(version)
    if raw_tests_on is not None:
        settings += f" -c {TEST_ONLY_DELIVERIES}={','.join(map(str, raw_tests_on))}"
    options = {"PGOPTIONS": os.environ.get("PGOPTIONS", "") + settings}
    with environment(options):
        result = dbt_invoke(url, args)
    wall = time.monotonic() - started
    elapsed = getattr(result.result, "elapsed_time", None)
    statuses = Counter(str(r.status) for r in getattr(result.result, "results", []) or [])
    summary = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())) or "nothing run"
    dbt_time = f"{elapsed:.1f}s" if elapsed is not None else "n/a"
    print(f"dbt build {'succeeded' if result.success else 'FAILED'}: {summary}; "
          f"dbt elapsed {dbt_time}, wall {wall:.1f}s")
    if result.exception is not None:
        print(f"dbt build error: {result.exception}")
    try:
        _record_code(url, result, version)
    except Exception as err:  # noqa: BLE001 - a build without its code version only runs unit tests next time
        print(f"dbt build: could not record the code version: {err}")
    if not keep_artifacts and MANIFEST.exists():
        MANIFEST_STAMP.write_text(_manifest_stamp(version), encoding="utf-8")
    return 0 if result.success else 1


RUN_RESULTS: Path = TARGET_DIR / "run_results.json"
MANIFEST_STAMP: Path = TARGET_DIR / "manifest.stamp"


def _manifest_stamp(version: str) -> str:
    """The code a build's manifest.json describes, and the file as that build left it: any later
    writer (dbt parse, a dbt command run by hand, Cosmos) changes its time or size."""
    stat = MANIFEST.stat()
    return f"{version} {stat.st_mtime_ns} {stat.st_size}"


def _manifest_is_of(version: str) -> bool:
    try:
        return MANIFEST_STAMP.read_text(encoding="utf-8") == _manifest_stamp(version)
    except OSError:
        return False


def selection_for_feeds(feeds: list[str], url: str | None = None) -> list[str]:
    """What new deliveries of `feeds` can change: everything downstream of each feed's raw source
    and of the audit trail's staging (the deliveries dashboard). Every feed's staging also reads the
    audit trail, but only that feed's own deliveries, so other feeds' models stay as they are and
    `dbt build --select` of this equals a full build (tests/dbt/test_selective_build.py).

    With `url`, narrower where the audit trail allows it: the other feeds' quarterly figures read
    the deliveries only through the police feed's complete quarters (int_politie__kwartalen), so
    when those are the ones the last build used, a new delivery does not change them."""
    selectors = [feed_selector(feed) for feed in sorted(set(feeds))]
    if url is not None and _audit_children() == set(_AUDIT_CHILDREN) and not _complete_quarters_changed(url):
        return [*selectors, *_AUDIT_VIEWS]
    return [*selectors, "stg_audit__deliveries+"]


# The models that read stg_audit__deliveries, by what they read of it: the police feed's complete
# quarters (int_politie__kwartalen: every feed's quarterly figures are on that grid), the
# deliveries of every feed (int_leveringen__afgerond, the deliveries dashboard: always rebuilt), or
# one feed's own deliveries (int_fraude__tellingen_kwartaal, int_politie__registraties_per_gemeente:
# built with their feed's selector).
_AUDIT_CHILDREN = ("int_politie__kwartalen", "int_leveringen__afgerond", "int_fraude__tellingen_kwartaal",
                   "int_politie__registraties_per_gemeente")
# What the narrow selection rebuilds of it: the audit staging (for its tests), and with it the views
# on it, which dbt-postgres drops (cascade) when it replaces a view; the complete quarters' readers
# are tables. The deliveries dashboard follows every delivery.
_AUDIT_VIEWS = ["stg_audit__deliveries", "int_politie__kwartalen", "int_leveringen__afgerond+"]


def _audit_children() -> set[str]:
    """The models that read stg_audit__deliveries, from the manifest of the last dbt invocation;
    a model not in _AUDIT_CHILDREN (or no manifest) makes the selection the broad one."""
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    children = manifest.get("child_map", {}).get("model.infopositie.stg_audit__deliveries", [])
    return {c.split(".")[-1] for c in children if c.startswith("model.")}


def _complete_quarters_changed(url: str) -> bool:
    """Whether the police feed's complete quarters differ from those of the built police counts
    (int_politie__tellingen_kwartaal holds every complete quarter of its build, on the full grid)."""
    from warehouse.connection import connect

    try:
        with connect(url, autocommit=True, connect_timeout=10) as conn:
            return bool(conn.execute(
                "select exists (select jaar, kwartaal from intermediate.int_politie__kwartalen where is_compleet"
                "  except select jaar, kwartaal from intermediate.int_politie__tellingen_kwartaal)"
                " or exists (select jaar, kwartaal from intermediate.int_politie__tellingen_kwartaal"
                "  except select jaar, kwartaal from intermediate.int_politie__kwartalen where is_compleet)"
            ).fetchone()[0])
    except Exception:  # noqa: BLE001 - not built yet: assume they changed
        return True


def selective_build_is_safe(url: str) -> bool:
    """A selective build is right only on top of a complete one: the warehouse recorded a
    successful full build and nothing failed since (audit.dbt_runs). Otherwise a selected model
    could read a table of an unselected one that was never built, or stale after a failure."""
    from warehouse.connection import connect

    try:
        with connect(url, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute(
                "select exists (select from audit.dbt_runs where command = 'build' and selection is null"
                "               and status = 'geslaagd'),"
                " coalesce((select status from audit.dbt_runs order by finished_at desc limit 1), 'mislukt')"
            ).fetchone()
    except Exception:  # noqa: BLE001 - no log (an older warehouse): build everything
        return False
    return bool(row[0]) and row[1] == "geslaagd"


def feed_selector(feed: str) -> str:
    """The dbt selector of everything downstream of one feed's raw source."""
    from ingest.contracts import load_contract
    from ingest.contracts.dbt_sources import source_name, table_name

    contract = load_contract(feed)
    return f"source:{source_name(contract)}.{table_name(contract)}+"


# Per feed (f.feed, f.selector), its last successful build that covered it (b: started_at as
# built, code_version; no row when none did): a full build, or a selective one whose selection
# named the feed's selector. What changed_feeds and deliveries_to_test measure from.
_LAST_COVERING_BUILD = (
    " from unnest(%s::text[], %s::text[]) as f(feed, selector)"
    " left join lateral (select r.started_at as built, r.code_version from audit.dbt_runs r"
    "     where r.command = 'build' and r.status = 'geslaagd'"
    "       and (r.selection is null or strpos(' ' || r.selection || ' ', ' ' || f.selector || ' ') > 0)"
    "     order by r.started_at desc limit 1) as b on true")


def changed_feeds(url: str) -> list[str] | None:
    """The feeds with a delivery loaded or purged (retention) after the last successful build that
    covered them (a full build, or a selective one whose selection named the feed): what an
    incremental build must rebuild. None when only a full build is right (see selective_build_is_safe)."""
    from ingest.contracts import all_contracts
    from warehouse.connection import connect

    if not selective_build_is_safe(url):
        return None
    feeds = [c.feed for c in all_contracts()]
    with connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "select f.feed" + _LAST_COVERING_BUILD
            # A delivery purged by retention changes the feed as much as a new one (ingest/retention.py).
            + " where exists (select from audit.deliveries d where d.feed = f.feed"
            "   and ((d.status = 'loaded' and d.finished_at > coalesce(b.built, '-infinity'))"
            "     or d.purged_at > coalesce(b.built, '-infinity')))"
            " order by 1",
            (feeds, [feed_selector(feed) for feed in feeds])).fetchall()
    return [feed for (feed,) in rows]


def deliveries_to_test(url: str, feeds: list[str], version: str) -> list[int] | None:
    """The deliveries of `feeds` whose raw rows an incremental build must still test: those loaded
    after the last successful build that covered the feed, when that build ran this same code
    (`version`). Raw rows never change once loaded, so every earlier row passed these tests already:
    that build tested the rows new to it, and so on back to a build that tested all (the first of
    this code). None (test every row) when any feed's last covering build ran other code, or none
    recorded its code (the Airflow DAG's builds)."""
    from warehouse.connection import connect

    with connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "select b.code_version, array(select d.delivery_id from audit.deliveries d"
            "     where d.feed = f.feed and d.status = 'loaded' and d.finished_at > b.built order by 1)"
            + _LAST_COVERING_BUILD,
            (feeds, [feed_selector(feed) for feed in feeds])).fetchall()
    if any(code != version for code, _ in rows):
        return None
    return sorted({delivery for _, deliveries in rows for delivery in deliveries})


@dataclass(frozen=True)
class IncrementalBuild:
    """What `infopositie build` builds without --select or --full-refresh."""

    feeds: list[str]  # with deliveries since the last build that covered them; empty: nothing to build
    select: str  # the dbt selection: what depends on them
    unit_tests: bool  # false when a full build of this code passed them
    raw_tests_on: list[int] | None  # the deliveries the tests on raw data read (None: every row)


def incremental_build(url: str) -> IncrementalBuild | None:
    """The incremental build after the deliveries since the last one; None when only a full build
    is right (the first build, or the last one failed)."""
    feeds = changed_feeds(url)
    if feeds is None:
        return None
    if not feeds:
        return IncrementalBuild([], "", unit_tests=False, raw_tests_on=[])
    version = code_version()
    return IncrementalBuild(feeds, " ".join(selection_for_feeds(feeds, url)),
                            # Unit tests check the code on fixed rows, not the new data: once per version.
                            unit_tests=not unit_tests_passed(url, version),
                            raw_tests_on=deliveries_to_test(url, feeds, version))


def dbt_parse(url: str) -> Path:
    """Parse the project and return dbt_project/target/manifest.json (read by Cosmos)."""
    started = time.monotonic()
    result = dbt_invoke(url, ["parse"])
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    print(f"dbt parse: manifest written in {time.monotonic() - started:.1f}s")
    return MANIFEST


DOCS_STAMP: Path = TARGET_DIR / "docs.stamp"


def _docs_stamp(url: str) -> str:
    """What the site describes: this code on this warehouse (the catalog holds relation and column
    names and types, no row counts: PostgreSQL's catalog in dbt reads no statistics)."""
    params = conninfo_to_dict(url)
    return " ".join([code_version(), *(str(params.get(k) or "") for k in ("host", "port", "dbname"))])


def dbt_docs_generate(url: str, *, unless_unchanged: bool = False) -> Path:
    """`dbt docs generate --static` against `url`: the lineage and column documentation site as
    one self-contained page that opens from disk (target/static_index.html), with the catalog of
    the built relations (target/catalog.json).

    Run after a build: the catalog reads the tables as they are in the warehouse, so generated
    before the build it would describe the previous tables. Returns the site's index.html.
    `unless_unchanged` (after a build on top of a complete one, which changes rows, not
    relations): keep the site when it was generated for the same code and warehouse."""
    stamp = _docs_stamp(url)
    if unless_unchanged and DOCS_INDEX.exists() and CATALOG.exists() and DOCS_STAMP.exists() \
            and DOCS_STAMP.read_text(encoding="utf-8") == stamp:
        print(f"dbt docs: the same code and warehouse as when the site was generated, kept: {DOCS_INDEX}")
        return DOCS_INDEX
    DOCS_STAMP.unlink(missing_ok=True)
    MANIFEST_STAMP.unlink(missing_ok=True)
    started = time.monotonic()
    result = dbt_invoke(url, ["docs", "generate", "--static"])
    if not result.success or not CATALOG.exists() or not DOCS_INDEX.exists():
        raise RuntimeError(f"dbt docs generate failed: {result.exception}")
    DOCS_STAMP.write_text(stamp, encoding="utf-8")
    if MANIFEST.exists():  # docs generate rewrote the manifest of the same code
        MANIFEST_STAMP.write_text(_manifest_stamp(stamp.split(" ", 1)[0]), encoding="utf-8")
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    print(f"dbt docs: {len(catalog.get('nodes', {}))} relations in the catalog, written in"
          f" {time.monotonic() - started:.1f}s: {DOCS_INDEX}")
    return DOCS_INDEX
