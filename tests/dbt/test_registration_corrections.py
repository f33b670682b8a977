"""A registration number that comes again in a later month's police file is a correction: the
partner's report says how many rows did so, the build stays green and every registration is
counted once, in its newest delivery (dbt_project/models/staging/politie/stg_politie__registraties.sql).

The police spec asks uniqueness only within one file; the live platform met exactly this case
(a November file repeating October's numbers failed the unique test and skipped all of
reporting). Real files through the real ingest, a real dbt build of everything the fact needs.
"""
from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from ingest.landing import LocalLandingZone
from ingest.pipeline import ingest_landing
from synthetic.common import Month
from synthetic.politie import generate_police
from tests.conftest import build_without_unit_tests, create_scratch_database, drop_database
from tests.dbt.conftest import TEMP_GRANT, transformer_may_create_temp_tables
from tests.ingest.helpers import join_csv, split_csv

pytestmark = pytest.mark.slow
FEED = "politie_registraties"
REPEATED = 100




def test_registration_again_in_later_month_counts_once(tmp_path: Path, pseudonym_key: bytes) -> None:
    (oct_key, oct_data), (nov_key, nov_data) = generate_police(
        23, [Month.parse("2026-10"), Month.parse("2026-11")])
    header, october = split_csv(oct_data)
    _, november = split_csv(nov_data)
    number = header.index("registratienummer")
    repeated = [row[number] for row in october[:REPEATED]]
    assert not set(repeated) & {row[number] for row in november}
    for row, again in zip(november[:REPEATED], repeated):
        row[number] = again

    url = create_scratch_database("corrections")
    try:
        zone = LocalLandingZone(tmp_path / "store")
        zone.put(oct_key, oct_data)
        first = ingest_landing(zone, url, feeds=[FEED], key=pseudonym_key)
        zone.put(nov_key, join_csv(header, november))
        second = ingest_landing(zone, url, feeds=[FEED], key=pseudonym_key)
        assert [r.status for r in first + second] == ["loaded", "loaded"]
        # The partner hears how many rows came again, never which numbers.
        told = [r for r in second[0].reasons if "eerdere levering voor een andere periode" in r]
        assert told and told[0].startswith(f"{REPEATED} regels hebben een registratienummer"), second[0].reasons
        assert not any(number in " ".join(second[0].reasons) for number in repeated)
        assert not [r for r in first[0].reasons if "eerdere levering" in r]
        loaded = first[0].rows_loaded + second[0].rows_loaded
        assert loaded == len(october) + len(november) - first[0].rows_rejected - second[0].rows_rejected

        with psycopg.connect(url, autocommit=True) as conn:
            if not transformer_may_create_temp_tables(conn):
                conn.execute(TEMP_GRANT)
        assert build_without_unit_tests(url) == 0  # every model, as `infopositie build` builds them

        with psycopg.connect(url) as conn:
            facts, distinct = conn.execute(
                "select count(*), count(distinct registratie_pseudoniem) from marts.fct_registraties").fetchone()
            raw_distinct = conn.execute(
                "select count(distinct registratienummer_pseudoniem) from raw.politie_registraties").fetchone()[0]
            in_november = conn.execute(
                "select count(*) from marts.fct_registraties f join raw.politie_registraties r"
                " on r.registratienummer_pseudoniem = f.registratie_pseudoniem"
                " and r.delivery_id = %s where r.line_number <= %s",
                (second[0].delivery_id, REPEATED + 1)).fetchone()[0]
            newest = conn.execute(
                "select count(*) from staging.stg_politie__registraties where delivery_id = %s",
                (second[0].delivery_id,)).fetchone()[0]
        # Every registration once: the repeated numbers are not counted twice.
        assert facts == distinct == raw_distinct == loaded - REPEATED
        # The corrected version wins: November's rows all stand, October lost the repeated ones.
        assert newest == second[0].rows_loaded
        assert in_november == REPEATED
    finally:
        if not os.environ.get("KEEP_TEST_DATABASE"):
            drop_database(url)
