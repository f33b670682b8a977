"""Great Expectations expectations as data, and their vectorised evaluation.

A contract rule is a Great Expectations expectation configuration: its type and keyword
arguments exactly as GE writes them in a suite (`Expectation.to_gx()` makes the GE object, and
`suite_json` the suite). The ingest evaluates them here, with numpy over the small frames of
distinct values ingest/validate.py builds, because importing Great Expectations costs about ten
seconds of every ingest process and validating a batch 20 to 30 ms per rule group (measured: a
one-row file took 0.25 s, most of it in GE). tests/ingest/test_expectations_parity.py runs GE's
own validation of the same suites on the same frames and requires the same unexpected rows, for
every rule type and the edge cases (empty values, dates, conditions, pairs), so GE stays the
definition the results are held to.

Semantics followed (GE 1.x, pandas engine): column map expectations other than "not null" skip
missing values; `row_condition` (pandas parser, `col=="x"` or `col!="x"`) selects the rows
first; `expect_column_values_to_match_regex` searches (`str.contains`), it does not anchor; pair
expectations with `ignore_row_if="either_value_is_missing"` skip a row missing either side.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

Frame = Mapping[str, np.ndarray]  # column -> values, all of one length


@dataclass(frozen=True)
class Expectation:
    """One GE expectation configuration (`{"type": ..., "kwargs": {...}}` in a suite)."""

    type: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> set[str]:
        """The frame columns it reads (including a row condition's)."""
        names = {self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs}
        condition = self.kwargs.get("row_condition")
        if condition:
            names.add(_parse_condition(condition)[0])
        return names

    def as_config(self) -> dict[str, Any]:
        """The configuration as GE serialises it in a suite (dates as ISO text)."""
        return {"type": self.type, "kwargs": {k: _jsonable(v) for k, v in self.kwargs.items()}}

    def to_gx(self) -> Any:
        """The Great Expectations expectation (imports GE: seconds)."""
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        kwargs = {k: _for_gx(v) for k, v in self.kwargs.items()}
        return ExpectationConfiguration(type=self.type, kwargs=kwargs).to_domain_obj()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _for_gx(value: Any) -> Any:
    """GE's pandas engine compares dates as timestamps (the frames hold datetime64)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        import pandas as pd

        return pd.Timestamp(value)
    return value


def suite_json(name: str, expectations: list[Expectation]) -> dict[str, Any]:
    """The expectations as a GE expectation suite document."""
    return {"name": name, "expectations": [e.as_config() for e in expectations]}


_CONDITION = re.compile(r'^\s*(\w+)\s*(==|!=)\s*"([^"]*)"\s*$')


def _parse_condition(condition: str) -> tuple[str, str, str]:
    match = _CONDITION.match(condition)
    if not match:
        raise ValueError(f"unsupported row_condition {condition!r}: only col==\"x\" and col!=\"x\"")
    return match.group(1), match.group(2), match.group(3)


def missing(values: np.ndarray) -> np.ndarray:
    """What pandas' isnull calls missing: None, NaN and NaT."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind in "mM":
        return np.isnat(values)
    if values.dtype.kind != "O":
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((v is None or v != v for v in values), dtype=bool, count=len(values))


def _comparable(value: Any, values: np.ndarray) -> Any:
    """A bound in the frame's own type (dates against datetime64 columns)."""
    if values.dtype.kind == "M" and isinstance(value, date):
        return np.datetime64(value).astype(values.dtype)
    return value


def _compare(values: np.ndarray, op: str, bound: Any) -> np.ndarray:
    """`values op bound` elementwise; object columns value by value (like GE's is_between)."""
    if values.dtype.kind != "O":
        return {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op](values, bound)
    import operator

    compare = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]
    return np.fromiter((compare(v, bound) for v in values), dtype=bool, count=len(values))


def _pair_compare(a: np.ndarray, b: np.ndarray, op: str) -> np.ndarray:
    if a.dtype.kind != "O" and b.dtype.kind != "O":
        return {">": np.greater, ">=": np.greater_equal, "==": np.equal}[op](a, b)
    import operator

    compare = {">": operator.gt, ">=": operator.ge, "==": operator.eq}[op]
    return np.fromiter((compare(x, y) for x, y in zip(a, b)), dtype=bool, count=len(a))


def unexpected(expectation: Expectation, frame: Frame) -> np.ndarray:
    """Positions (ascending) of the frame rows that fail the expectation."""
    kind, kw = expectation.type, expectation.kwargs
    n = len(next(iter(frame.values()))) if frame else 0
    rows = np.ones(n, dtype=bool)  # the rows the expectation looks at
    if kw.get("row_condition"):
        name, op, text = _parse_condition(kw["row_condition"])
        other = frame[name]
        equal = np.fromiter((v == text for v in other), dtype=bool, count=n) if other.dtype.kind == "O" \
            else other == text
        rows &= equal if op == "==" else ~equal
    if kind.startswith("expect_column_pair_"):
        a, b = frame[kw["column_A"]], frame[kw["column_B"]]
        ignore = kw.get("ignore_row_if", "both_values_are_missing")
        ma, mb = missing(a), missing(b)
        rows &= ~({"either_value_is_missing": ma | mb, "both_values_are_missing": ma & mb}.get(ignore, 0))
        if kind == "expect_column_pair_values_a_to_be_greater_than_b":
            ok = _pair_compare(a[rows], b[rows], ">=" if kw.get("or_equal") else ">")
        elif kind == "expect_column_pair_values_to_be_equal":
            ok = _pair_compare(a[rows], b[rows], "==")
        elif kind == "expect_column_pair_values_to_be_in_set":
            allowed = {tuple(p) for p in kw["value_pairs_set"]}
            ok = np.fromiter(((x, y) in allowed for x, y in zip(a[rows], b[rows])), dtype=bool, count=int(rows.sum()))
        else:
            raise ValueError(f"no evaluation for {kind}")
        return np.flatnonzero(rows)[~ok]
    values = frame[kw["column"]]
    absent = missing(values)
    if kind == "expect_column_values_to_not_be_null":
        return np.flatnonzero(rows & absent)
    rows &= ~absent
    subset = values[rows]
    if kind == "expect_column_values_to_be_in_set":
        allowed = set(kw["value_set"])
        ok = np.fromiter((v in allowed for v in subset), dtype=bool, count=len(subset))
    elif kind == "expect_column_values_to_be_between":
        low, high = kw.get("min_value"), kw.get("max_value")
        ok = np.ones(len(subset), dtype=bool)
        if low is not None:
            ok &= _compare(subset, ">" if kw.get("strict_min") else ">=", _comparable(low, subset))
        if high is not None:
            ok &= _compare(subset, "<" if kw.get("strict_max") else "<=", _comparable(high, subset))
    elif kind == "expect_column_values_to_match_regex":
        search = re.compile(kw["regex"]).search
        ok = np.fromiter((search(str(v)) is not None for v in subset), dtype=bool, count=len(subset))
    else:
        raise ValueError(f"no evaluation for {kind}")
    return np.flatnonzero(rows)[~ok]


def gx_unexpected(expectations: list[Expectation], frame: Any, name: str = "check") -> list[np.ndarray]:
    """The same as `unexpected` for each expectation, computed by Great Expectations itself on a
    pandas frame (seconds to import; the reference the vectorised evaluation is tested against)."""
    batch = _gx_batch_definition().get_batch(batch_parameters={"dataframe": frame})
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name, expectations=[e.to_gx() for e in expectations])
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    return [np.asarray(sorted(outcome.result.get("unexpected_index_list") or []), dtype=np.int64)
            for outcome in result.results]


def _gx_batch_definition() -> Any:
    global _BATCH_DEFINITION
    if _BATCH_DEFINITION is None:
        import os

        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        source = context.data_sources.add_pandas("infopositie")
        _BATCH_DEFINITION = source.add_dataframe_asset("deliveries").add_batch_definition_whole_dataframe("file")
    return _BATCH_DEFINITION


_BATCH_DEFINITION: Any = None
