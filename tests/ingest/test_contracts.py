"""The contracts are the single declaration of each feed; derived artefacts must match them."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from ingest.contracts import Column, all_contracts
from ingest.contracts.docs import DOCS_DIR, render_partner_page
from ingest.raw_tables import create_table_sql


@pytest.mark.parametrize("contract", all_contracts(), ids=lambda c: c.feed)
def test_partner_page_is_generated_from_the_contract(contract):
    committed = (DOCS_DIR / f"{contract.feed}.md").read_text(encoding="utf-8")
    assert committed == render_partner_page(contract), "run `infopositie contracts render` and commit"


@pytest.mark.parametrize("contract", all_contracts(), ids=lambda c: c.feed)
def test_never_store_fields_have_no_column(contract, warehouse_url):
    import psycopg

    ddl = create_table_sql(contract).as_string(None)
    with psycopg.connect(warehouse_url) as conn:
        columns = {c for (c,) in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = %s",
            (contract.feed,))}
    for column in contract.columns:
        if column.personal in ("never_store", "pseudonymise", "age_band"):
            assert column.name not in columns and f'"{column.name}"' not in ddl
    assert {c.stored_name for c in contract.stored_columns} <= columns


def test_a_key_corrected_across_periods_must_be_pseudonymised() -> None:
    """The count of re-delivered records compares pseudonyms' fingerprints (ingest/corrections.py):
    a contract that declares it on a plain column is refused when it is read, not at the first load."""
    assert Column(name="nummer", type="text", corrected_across_periods=True, personal="pseudonymise")
    with pytest.raises(ValidationError, match="corrected_across_periods needs personal: pseudonymise"):
        Column(name="nummer", type="text", corrected_across_periods=True)
