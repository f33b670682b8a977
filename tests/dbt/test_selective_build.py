"""A feed's new data rebuilds only what depends on it, and the result equals a full build.

`infopositie build` and the dbt DAG build `selection_for_feeds(<feeds>)`: the feeds with
deliveries since the last build that covered them (`changed_feeds`), or those of the triggering
Assets. Real deliveries of every feed through the real ingest, a full build, then a new police
month: the selective build must leave the warehouse exactly as a full build of the same data does
(every table in marts and reporting, row for row), and must build fewer nodes.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from infopositie.dbt import (
    TARGET_DIR,
    changed_feeds,
    code_version,
    dbt_build,
    deliveries_to_test,
    incremental_build,
    selection_for_feeds,
)
from infopositie.platform import last_build
from ingest import retention
from ingest.contracts import all_contracts, load_contract
from ingest.landing import LocalLandingZone
from ingest.pipeline import ingest_landing
from synthetic import generate
from synthetic.common import Month
from synthetic.politie import generate_police
from tests.conftest import build_without_unit_tests, create_scratch_database, drop_database
from tests.dbt.conftest import TEMP_GRANT, transformer_may_create_temp_tables

pytestmark = pytest.mark.slow
FEED = "politie_registraties"


def _tables(url: str) -> dict[str, list[tuple]]:
    """Every table of marts and reporting, its rows sorted (their text form, so any type sorts)."""
    with psycopg.connect(url, autocommit=True) as conn:
        names = [f"{s}.{t}" for s, t in conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('marts', 'reporting') and table_type = 'BASE TABLE'"
            " order by 1, 2").fetchall()]
        return {name: sorted(conn.execute(f"select t::text from {name} t").fetchall()) for name in names}


def _built_nodes() -> set[str]:
    results = json.loads((TARGET_DIR / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {r["unique_id"] for r in results if r["unique_id"].startswith("model.") and r["status"] == "success"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, pseudonym_key: bytes) -> Iterator[tuple[str, Path]]:
    """Six months of every feed, ingested; nothing built yet. The tests below run in file order on it."""
    url = create_scratch_database("selective")
    store = tmp_path_factory.mktemp("selective") / "store"
    with psycopg.connect(url, autocommit=True) as conn:
        if not transformer_may_create_temp_tables(conn):
            conn.execute(TEMP_GRANT)
    generate(LocalLandingZone(store), start="2026-01", end="2026-06", seed=11,
             feeds=[c.feed for c in all_contracts()])
    ingest_landing(LocalLandingZone(store), url, key=pseudonym_key)
    yield url, store
    drop_database(url)


def test_new_police_month_rebuilds_only_its_models_and_equals_a_full_build(warehouse: tuple[str, Path],
                                                                           pseudonym_key: bytes) -> None:
    url, store = warehouse
    zone = LocalLandingZone(store)
    assert changed_feeds(url) is None  # nothing built yet: only a full build is right
    assert build_without_unit_tests(url) == 0
    full_nodes = _built_nodes()
    assert changed_feeds(url) == []

    (key, data), = generate_police(11, [Month.parse("2026-07")])
    zone.put(key, data)
    (result,) = ingest_landing(zone, url, feeds=[FEED], key=pseudonym_key)
    assert result.status == "loaded"

    # What `infopositie build` builds now: the police feed's models and the deliveries' dashboard.
    assert changed_feeds(url) == [FEED]
    selection = selection_for_feeds([FEED], url)
    assert build_without_unit_tests(url, select=" ".join(selection)) == 0
    selected_nodes = _built_nodes()
    after_selective = _tables(url)
    assert changed_feeds(url) == []  # the selective build covered the police feed

    assert build_without_unit_tests(url, full_refresh=True) == 0
    after_full = _tables(url)

    # The new month reached the picture, and nothing differs from building everything.
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("select count(*) from marts.fct_registraties f join audit.deliveries d"
                            " using (delivery_id) where d.period = '2026-07'").fetchone()[0] > 0
    assert after_selective.keys() == after_full.keys()
    for name in after_full:
        assert after_selective[name] == after_full[name], name
    # Only what depends on the police feed (and the deliveries dashboard) was built.
    assert "model.infopositie.fct_registraties" in selected_nodes
    assert "model.infopositie.leveringen" in selected_nodes
    assert "model.infopositie.fct_fraudemeldingen" not in selected_nodes
    assert "model.infopositie.fct_fraudemeldingen" in full_nodes
    # July alone completes no quarter: the other feeds' quarterly figures, on the grid of the
    # complete police quarters, stay as built.
    assert "model.infopositie.fraudemeldingen_kwartaal" not in selected_nodes
    assert "model.infopositie.fraudemeldingen_kwartaal" in full_nodes
    assert len(selected_nodes) < len(full_nodes)


def _incremental_build_equals_a_full_refresh(url: str) -> dict[str, list[tuple]]:
    """`infopositie build`'s selective, incremental build, then the same warehouse rebuilt from
    scratch: marts and reporting must be identical, row for row. Returns the tables as built."""
    feeds = changed_feeds(url)
    assert feeds == [FEED]
    assert build_without_unit_tests(url, select=" ".join(selection_for_feeds(feeds, url))) == 0
    with psycopg.connect(url, autocommit=True) as conn:
        # The row-level tables were updated in place, not rebuilt (that is what makes it quick).
        kinds = dict(conn.execute("select c.relname, c.relkind from pg_class c join pg_namespace n"
                                  " on n.oid = c.relnamespace where n.nspname in ('marts', 'intermediate')"
                                  " and c.relname in ('fct_registraties', 'int_politie__registraties_per_gemeente')"
                                  ).fetchall())
    assert kinds == {"fct_registraties": "r", "int_politie__registraties_per_gemeente": "r"}
    incremental = _tables(url)
    assert build_without_unit_tests(url, full_refresh=True) == 0
    full = _tables(url)
    assert incremental.keys() == full.keys()
    for name in full:
        assert incremental[name] == full[name], name
    return full


def _rows_per_delivery(url: str) -> dict[int, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return dict(conn.execute("select delivery_id, count(*) from marts.fct_registraties group by 1").fetchall())


def test_a_corrected_month_replaces_its_rows_and_a_purged_month_leaves(warehouse: tuple[str, Path],
                                                                        pseudonym_key: bytes) -> None:
    """The incremental row-level models (fct_registraties and the intermediate table under it)
    follow the audit trail: a corrected delivery of a month replaces the earlier one's rows (and
    what it no longer lists returns to the version of another month, or leaves), and a delivery
    purged by retention leaves. Each time the incremental build equals a full refresh."""
    url, store = warehouse
    zone = LocalLandingZone(store)
    with psycopg.connect(url, autocommit=True) as conn:
        (old,) = conn.execute("select delivery_id from audit.deliveries where feed = %s and period = '2026-03'"
                              " and is_current", (FEED,)).fetchone()
    assert _rows_per_delivery(url).get(old, 0) > 0

    # The police re-deliver March, corrected (another draw of the month: other registrations).
    (key, data), = generate_police(12, [Month.parse("2026-03")])
    zone.put(key, data)
    (result,) = ingest_landing(zone, url, feeds=[FEED], key=pseudonym_key)
    assert result.status == "loaded"
    _incremental_build_equals_a_full_refresh(url)
    rows = _rows_per_delivery(url)
    assert old not in rows and rows.get(result.delivery_id, 0) > 0

    # Retention as of the day January 2026 expires (the contract keeps police rows 5 years).
    purged = {p.delivery_id for p in retention.apply(url, zone, date(2031, 2, 1), [load_contract(FEED)])
              if p.what.startswith("raw.")}
    with psycopg.connect(url, autocommit=True) as conn:
        january = {d for (d,) in conn.execute("select delivery_id from audit.deliveries where feed = %s"
                                              " and period = '2026-01' and purged_at is not null",
                                              (FEED,)).fetchall()}
    assert purged and purged <= january
    assert january & _rows_per_delivery(url).keys()
    _incremental_build_equals_a_full_refresh(url)
    assert not january & _rows_per_delivery(url).keys()


def test_tests_on_raw_data_read_only_the_deliveries_no_build_of_this_code_tested(
        warehouse: tuple[str, Path], pseudonym_key: bytes) -> None:
    """Raw rows never change once loaded, so after a successful build of this code an incremental
    build's tests on raw data read only the deliveries loaded since (`deliveries_to_test`, the
    session setting get_where_subquery reads); without that list, every row."""
    url, store = warehouse
    zone = LocalLandingZone(store)
    (key, data), = generate_police(13, [Month.parse("2026-08")])
    zone.put(key, data)
    (new,) = ingest_landing(zone, url, feeds=[FEED], key=pseudonym_key)
    assert new.status == "loaded"
    # The last build, a full refresh of this code (the test above), tested every row before it.
    assert deliveries_to_test(url, [FEED], code_version()) == [new.delivery_id]
    assert deliveries_to_test(url, [FEED], "other code") is None
    plan = incremental_build(url)
    assert plan is not None and plan.feeds == [FEED] and plan.raw_tests_on == [new.delivery_id]

    # A value no test allows, in a row of an earlier delivery (as if written past the ingest).
    with psycopg.connect(url, autocommit=True) as conn:
        (old, line, kind) = conn.execute(
            "select delivery_id, line_number, registratiesoort from raw.politie_registraties"
            " where delivery_id <> %s order by delivery_id, line_number limit 1", (new.delivery_id,)).fetchone()
        conn.execute("update raw.politie_registraties set registratiesoort = 'geen soort'"
                     " where delivery_id = %s and line_number = %s", (old, line))
    raw_tests = "source:politie.registraties"
    try:
        assert dbt_build(url, raw_tests, unit_tests=False, raw_tests_on=[new.delivery_id]) == 0
        assert dbt_build(url, raw_tests, unit_tests=False, raw_tests_on=[old]) == 1
        assert dbt_build(url, raw_tests, unit_tests=False) == 1
        failed = {r["unique_id"] for r in json.loads((TARGET_DIR / "run_results.json").read_text())["results"]
                  if r["status"] == "fail"}
        assert any("accepted_values_politie_registraties_registratiesoort" in node for node in failed), failed
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("update raw.politie_registraties set registratiesoort = %s"
                         " where delivery_id = %s and line_number = %s", (kind, old, line))


def test_a_build_of_code_built_before_writes_no_json_and_leaves_no_stale_results(
        warehouse: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`infopositie build` on code a full build passed (rewrite_artifacts false): dbt writes no
    JSON when the manifest on disk is that code's as our build left it, and run_results.json, which
    would be another build's, is gone; any other writer of the manifest makes the build write it.
    dbt's output goes to a folder of this test's own, so no other test's dbt run can touch it."""
    import infopositie.dbt as dbt

    url, _ = warehouse
    target = tmp_path / "target"
    for name, path in {"TARGET_DIR": target, "MANIFEST": target / "manifest.json",
                       "RUN_RESULTS": target / "run_results.json", "MANIFEST_STAMP": target / "manifest.stamp"}.items():
        monkeypatch.setattr(dbt, name, path)
    select = "verwerkingen"  # a view nothing reads: replacing it drops nothing else (cascade)

    def runs() -> int:
        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute("select count(*) from audit.dbt_runs where status = 'geslaagd'").fetchone()[0]

    assert dbt_build(url, select, unit_tests=False, rewrite_artifacts=False) == 0  # no stamp yet: writes
    written = dbt.MANIFEST.stat().st_mtime_ns
    assert dbt.RUN_RESULTS.exists() and dbt.MANIFEST_STAMP.exists()

    before = runs()
    assert dbt_build(url, select, unit_tests=False, rewrite_artifacts=False) == 0
    assert dbt.MANIFEST.stat().st_mtime_ns == written
    assert not dbt.RUN_RESULTS.exists()
    assert runs() == before + 1  # the build's outcome is recorded all the same

    # As if `dbt parse` had run by hand: the manifest may now describe other code.
    os.utime(dbt.MANIFEST, ns=(written + 10**9, written + 10**9))
    assert dbt_build(url, select, unit_tests=False, rewrite_artifacts=False) == 0
    assert dbt.RUN_RESULTS.exists()
    assert dbt.MANIFEST.stat().st_mtime_ns != written + 10**9
    # A build that must rewrite (new code, or the default) always does.
    rewritten = dbt.MANIFEST.stat().st_mtime_ns
    assert dbt_build(url, select, unit_tests=False) == 0
    assert dbt.MANIFEST.stat().st_mtime_ns != rewritten and dbt.RUN_RESULTS.exists()


def test_quarterly_models_recompute_only_quarters_whose_input_changed(warehouse: tuple[str, Path]) -> None:
    """The quarterly models (dbt_project/macros/platform/kwartalen.sql) recompute a quarter only
    when its input changed since they were built with the same code. A build that does not say
    which code it runs (plain dbt) recomputes every quarter, and so does the
    next one that says it. Each row's xmin tells whether it was written again; the content stays."""
    from infopositie.dbt import dbt_invoke

    url, _ = warehouse
    model = "int_politie__tellingen_kwartaal"

    def state() -> tuple[dict[tuple, str], list[tuple], set]:
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute(f"select t.xmin::text, t::text from intermediate.{model} t").fetchall()
            stored = set(conn.execute("select code_version from audit.kwartaal_invoer where model = %s",
                                      (model,)).fetchall())
        return {r[1]: r[0] for r in rows}, sorted(r[1] for r in rows), stored

    assert dbt_build(url, model, unit_tests=False) == 0  # built with this code, whatever came before
    written, content, stored = state()
    assert written and stored == {(code_version(),)}

    assert dbt_build(url, model, unit_tests=False) == 0  # nothing changed: nothing written
    again, again_content, _ = state()
    assert again == written and again_content == content

    # Without the code version (plain dbt): every quarter again, and recorded as of unknown code.
    result = dbt_invoke(url, ["build", "--select", model, "--exclude-resource-type", "unit_test"])
    assert result.success
    plain, plain_content, stored = state()
    assert plain_content == content and not set(plain.values()) & set(written.values())
    assert stored == {(None,)}

    # The next build that says its code cannot know what the plain one ran: every quarter again.
    assert dbt_build(url, model, unit_tests=False) == 0
    said, said_content, stored = state()
    assert said_content == content and not set(said.values()) & set(plain.values())
    assert stored == {(code_version(),)}


def test_a_failing_data_test_stops_only_what_depends_on_it_and_says_so(warehouse: tuple[str, Path]) -> None:
    """A bank row twice (as a faulty export would have it) fails the uniqueness test of the bank
    staging: the police models still build, the bank models wait, and the run's record says what
    failed, where `platform status` and the deliveries dashboard read it. Runs after the test
    above (it changes the raw data)."""
    url, _ = warehouse
    with psycopg.connect(url, autocommit=True) as conn:
        columns = [c for (c,) in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw'"
            " and table_name = 'fraudemeldingen' order by ordinal_position").fetchall()]
        assert "line_number" in columns
        values = ", ".join("line_number + 1000000" if c == "line_number" else c for c in columns)
        conn.execute(f"insert into raw.fraudemeldingen ({', '.join(columns)})"
                     f" select {values} from raw.fraudemeldingen order by delivery_id desc, line_number limit 1")
        conn.execute("drop table marts.fct_registraties")  # so that we see it built again

    assert build_without_unit_tests(url) == 1
    build = last_build(url)
    assert build is not None and build["status"] == "mislukt" and build["failed"] >= 1
    assert any("stg_bank__fraudemeldingen" in node for node in build["failed_nodes"]), build
    assert build["skipped"] > 0
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("select count(*) from marts.fct_registraties").fetchone()[0] > 0
        shown = conn.execute("select status, mislukte_onderdelen from reporting.verwerkingen"
                             " order by klaar_op desc limit 1").fetchone()
    assert shown == ("mislukt", build["failed_nodes"])
    assert changed_feeds(url) is None  # after a failure the next build is a full one
