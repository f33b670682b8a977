"""A loader killed with SIGKILL in the middle of a large load leaves no trace but an `aborted`
delivery: the next run records it so, drops what it had written, and loads the file again."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from ingest.landing import LocalLandingZone
from tests.ingest.helpers import csv_bytes, valid_rows

ROWS = 300_000
KEY = "politie/registraties/registraties_online_202601.csv"


def start_ingest(store: Path, url: str) -> subprocess.Popen:
    env = {**os.environ, "WAREHOUSE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "infopositie.cli", "ingest", "--store", str(store), "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def unpublished_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'raw' and c.relkind = 'r' and not c.relispartition")]


def listed_deliveries(url: str) -> list[dict]:
    return json.loads(subprocess.run([sys.executable, "-m", "infopositie.cli", "deliveries", "--json"],
                                     env={**os.environ, "WAREHOUSE_URL": url}, capture_output=True, text=True,
                                     timeout=300, check=True).stdout)


def table_being_written(url: str, seen: set[int]) -> int | None:
    """A new delivery whose table is being filled (its size on disk grows with the COPY, which
    is not committed yet): its id."""
    with psycopg.connect(url) as conn:
        row = conn.execute("select max(delivery_id) from audit.deliveries where status = 'processing'").fetchone()
        if row[0] is None or row[0] in seen:
            return None
        size = conn.execute("select pg_relation_size(to_regclass(%s))",
                            (f"raw.politie_registraties_d{row[0]}",)).fetchone()[0]
        return row[0] if size and size > 2_000_000 else None


def kill_while_writing(store: Path, url: str, seen: set[int]) -> int:
    """Start an ingest and SIGKILL it once its new table is being filled; the delivery's id."""
    process = start_ingest(store, url)
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            assert process.poll() is None, f"the ingest ended before it could be killed: {process.stderr.read()}"
            delivery_id = table_being_written(url, seen)
            if delivery_id is not None:
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the load never started writing")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        # The loader's own helpers (the pseudonymisation worker) die with their pipes; make sure.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return delivery_id


def test_killed_twice_during_a_large_load_then_loaded_exactly_once(fresh_warehouse_url, pseudonym_key,
                                                                   tmp_path: Path):
    url = fresh_warehouse_url
    store = tmp_path / "store"
    LocalLandingZone(store).put(KEY, csv_bytes(valid_rows(ROWS)))

    first = kill_while_writing(store, url, set())
    with psycopg.connect(url) as conn:
        assert [r[0] for r in conn.execute("select status from audit.deliveries")] == ["processing"]
    assert unpublished_tables(url) == [f"politie_registraties_d{first}"]  # what the next run must clear
    assert listed_deliveries(url) == []  # 'processing' is no outcome: not listed
    second = kill_while_writing(store, url, {first})
    with psycopg.connect(url) as conn:
        assert conn.execute("select array_agg(status order by delivery_id) from audit.deliveries").fetchone()[0] \
            == ["aborted", "processing"]

    final = start_ingest(store, url)
    stdout, stderr = final.communicate(timeout=900)
    assert final.returncode == 0, stderr[-3000:]
    results = json.loads(stdout)
    assert [(r["status"], r["file"]) for r in results] == [("aborted", KEY), ("loaded", KEY)]
    assert results[0]["delivery_id"] == second
    assert (results[1]["rows_received"], results[1]["rows_loaded"], results[1]["rows_rejected"]) == (ROWS, ROWS, 0)

    with psycopg.connect(url) as conn:
        deliveries = conn.execute("select delivery_id, status, is_current from audit.deliveries"
                                  " order by delivery_id").fetchall()
        assert [(s, c) for _, s, c in deliveries] == [("aborted", False), ("aborted", False), ("loaded", True)]
        loaded_id = deliveries[-1][0]
        total, distinct, of_loaded = conn.execute(
            "select count(*), count(distinct registratienummer_pseudoniem), count(*) filter (where delivery_id = %s)"
            " from raw.politie_registraties", (loaded_id,)).fetchone()
        assert (total, distinct, of_loaded) == (ROWS, ROWS, ROWS)
        assert conn.execute("select count(*) from audit.rejected_rows").fetchone()[0] == 0
        events = {r[0] for r in conn.execute("select event from audit.events where delivery_id <> %s",
                                             (loaded_id,))}
        assert "aborted" in events and "published" not in events
    assert unpublished_tables(url) == []
    assert [d["status"] for d in listed_deliveries(url)] == ["aborted", "aborted", "loaded"]

    # And what dbt makes of it: the mart holds every registration once.
    from infopositie.dbt import dbt_invoke

    assert dbt_invoke(url, ["run", "--select", "+fct_registraties"]).success
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*), count(distinct registratie_pseudoniem), count(distinct delivery_id)"
                            " from marts.fct_registraties").fetchone() == (ROWS, ROWS, 1)
