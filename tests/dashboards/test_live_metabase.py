"""The apply against a real Metabase, for anyone with Docker (`docker compose up metabase`).

Skipped unless METABASE_URL is set. Credentials: METABASE_API_KEY, or METABASE_USER and
METABASE_PASSWORD (or, on a Metabase that is not set up yet, METABASE_ADMIN_EMAIL and
METABASE_ADMIN_PASSWORD for the first administrator). The Metabase server must reach the
warehouse: WAREHOUSE_URL (else the test warehouse), seen from Metabase as
METABASE_WAREHOUSE_HOST / _PORT / _DBNAME when it differs (Docker: host `postgres`).
"""
from __future__ import annotations

import os

import pytest

from dashboards.metabase.apply import apply_all

pytestmark = [
    pytest.mark.live_metabase,
    pytest.mark.skipif(not os.environ.get("METABASE_URL"), reason="no live Metabase (METABASE_URL not set)"),
]


def test_apply_against_a_live_metabase_is_idempotent(request: pytest.FixtureRequest) -> None:
    warehouse = os.environ.get("WAREHOUSE_URL") or request.getfixturevalue("reporting_url")
    credentials = dict(username=os.environ.get("METABASE_USER"), password=os.environ.get("METABASE_PASSWORD"),
                       api_key=os.environ.get("METABASE_API_KEY"))
    first = apply_all(os.environ["METABASE_URL"], warehouse_url=warehouse, **credentials)
    assert first["dashboards"], first
    second = apply_all(os.environ["METABASE_URL"], warehouse_url=warehouse, **credentials)
    assert (second["created"], second["updated"], second["archived"]) == (0, 0, 0), second
