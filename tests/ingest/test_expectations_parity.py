"""The ingest evaluates the contract's expectations vectorised (ingest/expectations.py); Great
Expectations stays the definition they are held to. Here GE validates the same suites on the same
frames, and every row must fail or pass alike: over every synthetic delivery of every feed with
the defects the feed specs describe, and over hand-made frames with the edge cases (missing
values of each kind, dates, conditions, pairs). No database needed."""
from __future__ import annotations

import csv
from collections import Counter
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ingest.contracts import contract_for_key
from ingest.errors import FileRefused
from ingest.expectations import Expectation, gx_unexpected, unexpected
from ingest.normalize import Reference, normalize
from ingest.readers import read_delivery
from ingest.steps.read import period_of
from ingest.validate import RULES, build_checks, run_checks, vectorised, with_gx
from synthetic import build_deliveries
from warehouse.reference import REFERENCE_DIR

# One worker builds the compared deliveries once (GE's validation of them takes most of a minute).
pytestmark = pytest.mark.xdist_group("ge-parity")


def _reference() -> Reference:
    with open(REFERENCE_DIR / "gemeenten.csv", newline="", encoding="utf-8") as f:
        current = [r for r in csv.DictReader(f) if not r["geldig_tot"]]
    with open(REFERENCE_DIR / "gemeentecode_mapping.csv", newline="", encoding="utf-8") as f:
        mapping = {r["oude_code"]: (r["nieuwe_code"], r["oude_naam"], r["per_datum"]) for r in csv.DictReader(f)}
    return Reference(frozenset(r["gemeentecode"] for r in current), mapping,
                     {r["gemeentecode"]: r["district"] for r in current})


class Both:
    """An evaluator that runs GE and the vectorised evaluation, and keeps what differs."""

    def __init__(self) -> None:
        self.differences: list[str] = []
        self.failing = Counter()   # expectation type -> frame rows failing it (GE's count)
        self.passing = Counter()

    def __call__(self, expectations: list[Expectation], frame: dict[str, np.ndarray], name: str) -> list[np.ndarray]:
        ours = vectorised(expectations, frame, name)
        theirs = with_gx(expectations, frame, name)
        rows = len(next(iter(frame.values())))
        for e, a, b in zip(expectations, ours, theirs):
            if a.tolist() != b.tolist():
                self.differences.append(f"{name} {e.type} {e.kwargs}: vectorised {a.tolist()[:10]}, "
                                        f"GE {b.tolist()[:10]}")
            self.failing[e.type] += len(b)
            self.passing[e.type] += rows - len(b)
        return theirs


@pytest.fixture(scope="module")
def compared() -> Both:
    both = Both()
    reference = _reference()
    files = [f for batch in build_deliveries(start="2025-01", end="2025-06", seed=3, defects=True) for f in batch]
    for key, data in files:
        contract = contract_for_key(key)
        if contract is None:
            continue
        name = key.rsplit("/", 1)[-1]
        folder = key.split("/", 2)[1] if key.count("/") >= 2 else None
        try:
            period = period_of(contract, name)
            raw, _ = read_delivery(contract, data, name)
        except FileRefused:
            continue  # refused whole before validation: nothing to compare
        typed = normalize(contract, raw.frame, reference,
                          decimal_comma=raw.encoding != "xlsx" and contract.format != "json")
        checks = build_checks(contract, reference, period, folder)
        run_checks(checks, typed, len(raw.frame), evaluate=both)
    return both


def test_ge_and_the_vectorised_evaluation_reject_the_same_rows_of_every_synthetic_delivery(compared: Both) -> None:
    assert compared.differences == []


def test_the_deliveries_compared_exercise_every_expectation_type_the_rules_make(compared: Both) -> None:
    # Without failing rows a difference in how failures are found could not show.
    made = {"expect_column_values_to_not_be_null", "expect_column_values_to_be_between",
            "expect_column_values_to_be_in_set", "expect_column_values_to_match_regex",
            "expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_in_set",
            "expect_column_pair_values_to_be_equal"}
    assert len(RULES) >= 15
    assert set(compared.passing) == made
    # Every wijk and pattern in the synthetic files has its form, and every wijk lies in its
    # gemeente: those two types fail only in the edge cases below.
    assert {t for t, n in compared.failing.items() if n} >= made - {"expect_column_values_to_match_regex",
                                                                     "expect_column_pair_values_to_be_equal"}
    assert {e.type for e, _ in EDGE_CASES} == made


EDGE_CASES = [
    (Expectation("expect_column_values_to_not_be_null", {"column": "raw"}),
     {"raw": [0.0, np.nan, 0.0, np.nan]}),
    (Expectation("expect_column_values_to_not_be_null", {"column": "raw", "row_condition": 'other=="ja"',
                                                          "condition_parser": "pandas"}),
     {"raw": [np.nan, np.nan, 0.0, np.nan], "other": ["ja", "nee", "ja", None]}),
    (Expectation("expect_column_values_to_not_be_null", {"column": "raw", "row_condition": 'other!="ja"',
                                                          "condition_parser": "pandas"}),
     {"raw": [np.nan, np.nan, 0.0, np.nan], "other": ["ja", "nee", "nee", None]}),
    (Expectation("expect_column_values_to_be_between", {"column": "value", "min_value": 0, "max_value": 120}),
     {"value": [-1.0, 0.0, 120.0, 120.5, np.nan]}),
    (Expectation("expect_column_values_to_be_between", {"column": "occurrences", "max_value": 1}),
     {"occurrences": np.array([0, 1, 2, 7])}),
    (Expectation("expect_column_values_to_be_between",
                 {"column": "value", "min_value": date(2025, 3, 1), "max_value": date(2025, 3, 31)}),
     {"value": pd.to_datetime(["2025-02-28", "2025-03-01", "2025-03-31", None, "2025-04-01"])}),
    (Expectation("expect_column_values_to_be_in_set", {"column": "value", "value_set": ["a", "b"]}),
     {"value": ["a", "c", None, "b", "A"]}),
    (Expectation("expect_column_values_to_match_regex", {"column": "value", "regex": r"^WK\d{6}$"}),
     {"value": ["WK034410", "WK34410", None, "wk034410", "WK0344100"]}),
    (Expectation("expect_column_values_to_match_regex", {"column": "value", "regex": r"\d{3}"}),
     {"value": ["ab123", "12", None, "x1234"]}),
    (Expectation("expect_column_pair_values_a_to_be_greater_than_b",
                 {"column_A": "other", "column_B": "value", "or_equal": True,
                  "ignore_row_if": "either_value_is_missing"}),
     {"other": pd.to_datetime(["2025-03-02", "2025-03-01", None, "2025-03-05"]),
      "value": pd.to_datetime(["2025-03-01", "2025-03-02", "2025-03-01", "2025-03-05"])}),
    (Expectation("expect_column_pair_values_to_be_in_set",
                 {"column_A": "value", "column_B": "other", "value_pairs_set": [("GM0344", "Utrecht-Stad")],
                  "ignore_row_if": "either_value_is_missing"}),
     {"value": ["GM0344", "GM0344", None, "GM0307"], "other": ["Utrecht-Stad", "Eemland", "x", "Utrecht-Stad"]}),
    (Expectation("expect_column_pair_values_to_be_equal",
                 {"column_A": "value_gemeente", "column_B": "other", "ignore_row_if": "either_value_is_missing"}),
     {"value_gemeente": ["GM0344", "GM0307", None, "GM0344"], "other": ["GM0344", "GM0344", "GM0307", None]}),
]


@pytest.mark.parametrize(("expectation", "columns"), EDGE_CASES, ids=lambda v: getattr(v, "type", ""))
def test_edge_cases_fail_the_same_rows_as_in_ge(expectation: Expectation, columns: dict) -> None:
    frame = pd.DataFrame({k: (v if isinstance(v, (np.ndarray, pd.Index)) else pd.Series(v, dtype=object
                                                                                           if isinstance(v[0], str)
                                                                                           or v[0] is None else None))
                          for k, v in columns.items()})
    ours = unexpected(expectation, {c: frame[c].to_numpy() for c in frame.columns})
    (theirs,) = gx_unexpected([expectation], frame)
    assert ours.tolist() == theirs.tolist()
    assert 0 < len(theirs) < len(frame)  # a case where nothing (or everything) fails tests nothing
