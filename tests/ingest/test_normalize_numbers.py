"""Numbers are typed vectorised (ingest/normalize.py) once a column holds more than a few hundred
distinct values: also a column in which every value is a number (found by `bench scale`: every
CBS bevolking file of the national reference was refused as an internal error when the mask of
valid values came back read-only)."""
from __future__ import annotations

import pyarrow as pa

from ingest.contracts import load_contract
from ingest.normalize import _convert_numbers, too_large

INWONERS = next(c for c in load_contract("bevolking").columns if c.name == "inwoners")
SCHADE = next(c for c in load_contract("politie_registraties").columns if c.name == "schadebedrag")


def test_integers_without_a_missing_value_convert() -> None:
    out, errors = _convert_numbers(INWONERS, pa.array(["354050", "23763", "-7", "+8"]), decimal_comma=True)
    assert out == [354050, 23763, -7, 8] and errors == {}


def test_non_numbers_and_huge_numbers_are_named_per_row() -> None:
    out, errors = _convert_numbers(INWONERS, pa.array(["12", "twaalf", "9" * 40]), decimal_comma=True)
    assert out == [12, None, None]
    assert errors == {1: "inwoners: geen geheel getal", 2: too_large(INWONERS)}


def test_dutch_decimals_with_thousands_separators() -> None:
    out, errors = _convert_numbers(SCHADE, pa.array(["1.234,56", "17000", "0,5", "12.34", "1,2,3"]),
                                   decimal_comma=True)
    assert out == [1234.56, 17000.0, 0.5, None, None] and set(errors) == {3, 4}
