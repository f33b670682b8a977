"""The dbt sources of the raw feeds are derived from the feed contracts, and committed."""
from __future__ import annotations

import yaml

from ingest.contracts import all_contracts, load_contract
from ingest.contracts.dbt_sources import DBT_STAGING_DIR, render_dbt_sources, rendered_files, table_name


def test_committed_sources_equal_the_render() -> None:
    rendered = rendered_files()
    assert rendered, "no feed contracts found"
    for path, content in rendered.items():
        assert path.is_file(), f"{path} missing: run python -m ingest.contracts.dbt_sources"
        assert path.read_text(encoding="utf-8") == content, (
            f"{path} differs from its contract: run python -m ingest.contracts.dbt_sources")
    generated = {p for p in DBT_STAGING_DIR.rglob("_*__sources.yml")
                 if p.read_text(encoding="utf-8").startswith("# GENERATED FILE")}
    assert generated == set(rendered), "a generated sources file has no contract any more"


def test_render_follows_the_contract() -> None:
    contract = load_contract("politie_registraties")
    document = yaml.safe_load(render_dbt_sources(contract))
    (source,) = document["sources"]
    (table,) = source["tables"]
    assert (source["name"], source["schema"]) == (contract.partner_code, "raw")
    assert (table["name"], table["identifier"]) == (table_name(contract), contract.feed)
    assert [c["name"] for c in table["columns"]] == (
        ["delivery_id", "line_number"] + [c.stored_name for c in contract.stored_columns])
    assert {c["name"]: c["data_type"] for c in table["columns"][2:]} == {
        c.stored_name: c.stored_type for c in contract.stored_columns}
    assert "omschrijving" not in {c["name"] for c in table["columns"]}
    freshness = table["config"]["freshness"]
    assert freshness["warn_after"] == {"count": contract.freshness.warn_after_days, "period": "day"}
    assert freshness["error_after"] == {"count": contract.freshness.error_after_days, "period": "day"}
    assert table["config"]["loaded_at_field"] == "registratiedatum::timestamp"
    modus = next(c for c in table["columns"] if c["name"] == "modus")
    assert {"accepted_values": {"arguments": {"values": contract.column("modus").values}}} in modus["data_tests"]


def test_a_changed_contract_changes_the_render() -> None:
    contract = load_contract("politie_registraties")
    changed = contract.model_copy(update={"freshness": contract.freshness.model_copy(update={"warn_after_days": 10})})
    assert render_dbt_sources(changed) != render_dbt_sources(contract)


def test_one_source_file_per_partner() -> None:
    partners = {c.partner_code for c in all_contracts()}
    assert {p.parent.name for p in rendered_files()} == partners
