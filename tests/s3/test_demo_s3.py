"""The demo, end to end, with the landing zone in a real S3 bucket (SeaweedFS on loopback):
generated partner deliveries in the bucket -> Airflow ingest DAGs -> Airflow dbt DAG (Cosmos) ->
documents. Archive and quarantine end up in the same bucket."""
from __future__ import annotations

import psycopg

from ingest.contracts import all_contracts
from ingest.landing.s3_policies import PLATFORM
from tests.s3.test_landing_s3 import all_objects


def test_full_demo_with_the_landing_zone_in_the_bucket(store, fresh_warehouse_url, pseudonym_key, monkeypatch,
                                                      tmp_path, capsys):
    access_key, secret_key = store.credentials[PLATFORM]
    monkeypatch.setenv("INFOPOSITIE_LANDING", f"s3://{store.bucket}")
    monkeypatch.setenv("INFOPOSITIE_S3_ENDPOINT", store.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret_key)
    monkeypatch.setenv("WAREHOUSE_URL", fresh_warehouse_url)
    monkeypatch.setenv("INFOPOSITIE_HOME", str(tmp_path / "home"))
    from infopositie.demo import run_demo

    assert run_demo(start="2025-07", end="2025-12", quarters=("2025-Q4",)) == 0
    from infopositie.dbt import CATALOG, DOCS_INDEX

    assert f"dbt docs:   {DOCS_INDEX}" in capsys.readouterr().out
    assert "model.infopositie.lokaal_beeld_kwartaal" in CATALOG.read_text(encoding="utf-8")

    with psycopg.connect(fresh_warehouse_url) as conn:
        loaded = {feed for (feed,) in conn.execute(
            "select distinct feed from audit.deliveries where status = 'loaded'")}
        statuses = {s for (s,) in conn.execute("select distinct status from audit.deliveries")}
        stored = [k for (k,) in conn.execute("select stored_key from audit.deliveries")]
        reporting = conn.execute("select count(*) from reporting.lokaal_beeld_kwartaal").fetchone()[0]
    assert loaded == {c.feed for c in all_contracts()}
    assert {"loaded", "quarantined"} <= statuses
    assert stored and all(k.startswith(f"s3://{store.bucket}/") for k in stored)
    objects = all_objects(store)
    assert not [k for k in objects if k.startswith("landing/")]
    assert [k for k in objects if k.startswith("quarantine/") and k.endswith(".rapport.txt")]
    assert reporting > 0
    assert len(list((tmp_path / "home" / "reports").glob("*.html"))) == 38
