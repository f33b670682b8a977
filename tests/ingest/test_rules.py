"""The validation rule registry and the refusal details, without a database."""
from __future__ import annotations

import pytest

from ingest.contracts import Contract, all_contracts
from ingest.errors import FileRefused
from ingest.normalize import Reference
from ingest.validate import RULES, RuleContext

PERIODS = {"month": "2025-03", "quarter": "2025-Q2", "date": "2025-03-04", "none": None}
REFERENCE = Reference(frozenset({"GM0344", "GM0307"}), {}, {"GM0344": "Utrecht", "GM0307": "Eemland"})


def _context(contract: Contract) -> RuleContext:
    return RuleContext(contract, REFERENCE, PERIODS[contract.period], "GM0344")


@pytest.mark.parametrize("name", list(RULES))
def test_every_registered_rule_type_is_used_by_a_contract(name):
    build = RULES[name]
    assert any(build(c, _context(contract)) is not None
               for contract in all_contracts() for c in contract.columns if c.personal != "never_store")


def test_a_refusal_carries_declared_details():
    plain = FileRefused("Het bestand is leeg.")
    assert (str(plain), plain.rows_received, plain.rejected_rows, plain.row_summary) == \
        ("Het bestand is leeg.", 0, [], [])
    detailed = FileRefused("te veel", rows_received=10, row_summary=["x (regel 2)"])
    assert (detailed.reason, detailed.rows_received, detailed.row_summary) == ("te veel", 10, ["x (regel 2)"])
