"""Nothing plain at rest, nothing kept past its retention: real police files with free text through
the real ingest, `infopositie retention apply` as a command, a real dbt build before and after.

The police contract keeps rows 5 years (`retention_years: 5`): January 2022 ended on 2022-01-31,
so on 2027-02-01 it has expired; January 2026 has not.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from config import PROJECT_ROOT
from infopositie.dbt import changed_feeds, selection_for_feeds
from ingest.contracts import load_contract
from ingest.landing import LocalLandingZone
from ingest.pipeline import ingest_landing
from ingest.retention import expires_after
from synthetic.common import Month
from synthetic.politie import generate_police
from tests.conftest import build_without_unit_tests, create_scratch_database, drop_database
from tests.dbt.conftest import TEMP_GRANT, transformer_may_create_temp_tables
from tests.ingest.helpers import join_csv, split_csv
from tests.ingest.test_sealed_originals import catalogue_terms

pytestmark = pytest.mark.slow
FEED = "politie_registraties"
ROW_LEVEL_SCHEMAS = ("raw", "staging", "intermediate", "marts")
# One row per delivery (file name, counts, status), never a row of its content: the audit trail
# keeps it after the rows are gone (docs/catalogus_wpg20.md says so).
DELIVERY_METADATA = {"staging.stg_audit__deliveries", "intermediate.int_leveringen__afgerond"}




def _cli(url: str, *args: str) -> str:
    env = {**os.environ, "WAREHOUSE_URL": url}
    proc = subprocess.run([sys.executable, "-m", "infopositie.cli", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _relations(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute("select table_schema, table_name from information_schema.tables"
                        " where table_schema = any(%s) order by 1, 2", (list(ROW_LEVEL_SCHEMAS),)).fetchall()


def _holding(conn: psycopg.Connection, values: set[str], delivery_id: int) -> dict[str, int]:
    """Every row-level relation (and audit.rejected_rows) with a row naming one of `values` (in any
    text column) or the delivery: relation -> rows."""
    found = {}
    for schema, table in [*_relations(conn), ("audit", "rejected_rows")]:
        cols = conn.execute("select column_name, data_type from information_schema.columns"
                            " where table_schema = %s and table_name = %s", (schema, table)).fetchall()
        tests = [sql.SQL("{}::text = any(%(v)s)").format(sql.Identifier(c)) for c, t in cols
                 if t in ("text", "character varying", "jsonb")]
        if f"{schema}.{table}" not in DELIVERY_METADATA:
            tests += [sql.SQL("{} = %(d)s").format(sql.Identifier(c)) for c, _ in cols if c == "delivery_id"]
        if schema == "audit":  # the record is jsonb: look inside it
            tests.append(sql.SQL("exists (select 1 from jsonb_each_text(record) e where e.value = any(%(v)s))"))
        if not tests:
            continue
        n = conn.execute(sql.SQL("select count(*) from {} where {}").format(
            sql.Identifier(schema, table), sql.SQL(" or ").join(tests)), {"v": list(values), "d": delivery_id}
        ).fetchone()[0]
        if n:
            found[f"{schema}.{table}"] = n
    return found


def _kept_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not str(p.relative_to(root)).startswith("landing/")}


@pytest.fixture()
def url() -> str:
    url = create_scratch_database("retention")
    with psycopg.connect(url, autocommit=True) as conn:
        if not transformer_may_create_temp_tables(conn):
            conn.execute(TEMP_GRANT)
    yield url
    if not os.environ.get("KEEP_TEST_DATABASE"):
        drop_database(url)


def test_police_contract_expires_2022_01_on_2027_02_01_and_not_2026_01() -> None:
    years = load_contract(FEED).retention_years
    assert expires_after("2022-01", date(2026, 12, 5), years) < date(2027, 2, 1)
    assert expires_after("2026-01", date(2026, 12, 5), years) >= date(2027, 2, 1)


def test_nothing_plain_at_rest_and_retention_removes_the_expired_month_everywhere(
        url: str, tmp_path: Path, pseudonym_key: bytes, archive_key: bytes) -> None:
    (old_key, old_data), (new_key, new_data) = generate_police(31, [Month.parse("2022-01"), Month.parse("2026-01")])
    header, old_rows = split_csv(old_data)
    number, free_text, modus = (header.index(c) for c in ("registratienummer", "omschrijving", "modus"))
    old_rows[5][modus] = "onbekend"  # one rejected row: kept (pseudonymised) in audit.rejected_rows
    _, new_rows = split_csv(new_data)
    # A refused file (no modus column) is quarantined whole, with every identifier and free text in it.
    refused_header = [c for c in header if c != "modus"]
    refused = [[v for i, v in enumerate(r) if i != modus] for r in new_rows[:50]]
    identifiers = {r[number].strip() for r in old_rows + new_rows}
    texts = {r[free_text] for r in old_rows + new_rows if len(r[free_text]) >= 12}
    assert len(texts) > 100, "the police month must carry free text for this test to mean anything"

    store = tmp_path / "store"
    zone = LocalLandingZone(store)
    zone.put(old_key, join_csv(header, old_rows))
    zone.put(new_key, join_csv(header, new_rows))
    zone.put("politie/registraties/registraties_online_202602.csv", join_csv(refused_header, refused))
    results = {r.file: r for r in ingest_landing(zone, url, feeds=[FEED], key=pseudonym_key, archive_key=archive_key)}
    old, new = results[old_key], results[new_key]
    assert (old.status, new.status) == ("loaded", "loaded") and old.rows_rejected == 1
    assert results["politie/registraties/registraties_online_202602.csv"].status == "quarantined"

    # Nothing the platform keeps holds an identifier or free text in plain bytes.
    kept = _kept_files(store)
    assert any(k.startswith("archive/") and k.endswith(".sealed") for k in kept)
    assert any(k.startswith("quarantine/") and k.endswith(".sealed") for k in kept)
    assert not [k for k in kept if k.endswith((".csv", ".xlsx", ".json"))], "an original was kept unsealed"
    for name, data in kept.items():
        assert not [v for v in identifiers if v.encode() in data], f"{name} holds an identifier"
        assert not [t for t in texts if t.encode() in data], f"{name} holds free text"
    assert list(zone.waiting()) == []

    with psycopg.connect(url, autocommit=True) as conn:
        old_pseudonyms = {r[0] for r in conn.execute(
            "select registratienummer_pseudoniem from raw.politie_registraties where delivery_id = %s",
            (old.delivery_id,))}
        old_pseudonyms |= {r[0] for r in conn.execute(
            "select record->>'registratienummer_pseudoniem' from audit.rejected_rows where delivery_id = %s",
            (old.delivery_id,))}
    assert len(old_pseudonyms) == old.rows_received
    assert build_without_unit_tests(url) == 0
    with psycopg.connect(url) as conn:
        before = _holding(conn, old_pseudonyms, old.delivery_id)
    assert {"raw.politie_registraties", "marts.fct_registraties", "audit.rejected_rows"} <= set(before), before

    # The last day the catalogue promises to keep January 2022 keeps it; the day after does not.
    years, _, _ = catalogue_terms(FEED)
    last_day = date(2022 + years, 1, 31)
    assert last_day == date(2027, 1, 31)
    assert json.loads(_cli(url, "retention", "apply", "--today", last_day.isoformat(), "--store", str(store),
                           "--json")) == []
    purges = json.loads(_cli(url, "retention", "apply", "--today", "2027-02-01", "--store", str(store), "--json"))
    assert {(p["delivery_id"], p["what"], p["rows_removed"]) for p in purges if p["feed"] == FEED} == {
        (old.delivery_id, f"raw.politie_registraties_d{old.delivery_id}", old.rows_loaded),
        (old.delivery_id, "audit.rejected_rows", 1),
        (old.delivery_id, f"archive/politie_registraties/2022-01/{old.delivery_id}__{Path(old_key).name}.sealed", 0),
        (old.delivery_id, f"archive/rapporten/politie_registraties/{old.delivery_id}__{Path(old_key).name}"
                          ".rapport.txt", 0),
    }
    # The derived tables follow at the next build: a purge counts as a change of the feed, so the
    # build `infopositie build` would run selects the police models.
    assert changed_feeds(url) == [FEED]
    assert build_without_unit_tests(url, select=" ".join(selection_for_feeds([FEED]))) == 0
    assert changed_feeds(url) == []

    with psycopg.connect(url) as conn:
        assert _holding(conn, old_pseudonyms, old.delivery_id) == {}
        months = dict(conn.execute("select to_char(registratiedatum, 'YYYY-MM'), count(*)"
                                   " from marts.fct_registraties group by 1").fetchall())
        logged = conn.execute("select actor, rule, sum(rows_removed) from audit.purges where delivery_id = %s"
                              " group by 1, 2", (old.delivery_id,)).fetchall()
        purged_at, current = conn.execute("select purged_at, is_current from audit.deliveries where delivery_id = %s",
                                          (new.delivery_id,)).fetchone()
        fingerprinted = [r[0] for r in conn.execute("select delivery_id from audit.delivery_keys")]
    assert fingerprinted == [new.delivery_id]  # the registration numbers' fingerprints went with the rows
    assert months == {"2026-01": new.rows_loaded}
    assert logged == [("loader", "retention_years=5", old.rows_loaded + 1)]
    assert purged_at is None and current
    kept_after = _kept_files(store)
    assert not [k for k in kept_after if f"/{old.delivery_id}__" in k]
    assert [k for k in kept_after if f"/{new.delivery_id}__" in k and k.endswith(".sealed")]

    # Applying again removes nothing more.
    assert json.loads(_cli(url, "retention", "apply", "--today", "2027-02-01", "--store", str(store), "--json")) == []
