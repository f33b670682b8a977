"""Whole numbers are typed vectorised (ingest/normalize.py): also a column in which every value
is a number, whose boolean mask pandas may hand out read-only (found by `bench scale`: every CBS
bevolking file of the national reference was refused as an internal error)."""
from __future__ import annotations

import pandas as pd

from ingest.contracts import load_contract
from ingest.normalize import _convert_numbers, too_large

INWONERS = next(c for c in load_contract("bevolking").columns if c.name == "inwoners")


def test_integers_without_a_missing_value_convert() -> None:
    out, errors = _convert_numbers(INWONERS, pd.Series(["354050", "23763", "-7"]), decimal_comma=True)
    assert out == [354050, 23763, -7] and errors == {}


def test_non_numbers_and_huge_numbers_are_named_per_row() -> None:
    out, errors = _convert_numbers(INWONERS, pd.Series(["12", "twaalf", "9" * 40]), decimal_comma=True)
    assert out == [12, None, None]
    assert errors == {1: "inwoners: geen geheel getal", 2: too_large(INWONERS)}
