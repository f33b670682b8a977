"""Row-level validation: the feed contract's rules as Great Expectations expectations.

Every rule of the contract becomes one expectation (ingest/expectations.py: a GE expectation
configuration, evaluated vectorised and tested against GE's own validation). Expectations on a single column run over
that column's *distinct* values (the unexpected ones are then traced back to every row that
carries them), which gives exactly the row-level result of validating all rows at a fraction of
the cost; uniqueness runs over the full column, pair rules over the distinct pairs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contracts import PG_TYPES, Column, Contract
from ingest.expectations import Expectation, Frame, gx_unexpected, unexpected
from ingest.normalize import Distinct, Normalized, Reference, objects, period_bounds


@dataclass(frozen=True)
class Check:
    """One contract rule: the expectation and how to say in Dutch what a failing value means."""

    column: str
    expectation: Expectation
    frame: str                       # "distinct", "rows" or "pair:<other column>"
    # The reason, from the failing value; it names the column and the rule, never the value
    # (reasons reach the audit trail, the partner's report, logs and XComs).
    message: Callable[[object], str]


REGIONS_OUTSIDE_GEMEENTEN = ("PV24", "PV26", "PV27", "RE09", "NL01")


def _in_set(values: list) -> Expectation:
    return Expectation("expect_column_values_to_be_in_set", {"column": "value", "value_set": values})


def _regex(regex: str) -> Expectation:
    return Expectation("expect_column_values_to_match_regex", {"column": "value", "regex": regex})


def _between(low: object, high: object) -> Expectation:
    return Expectation("expect_column_values_to_be_between", {"column": "value", "min_value": low, "max_value": high})


@dataclass(frozen=True)
class RuleContext:
    """What a rule may need to know besides the column: the feed, the reference data, the period
    the file covers and the partner folder it came from."""

    contract: Contract
    ref: Reference
    period: str | None
    folder: str | None


RuleBuilder = Callable[[Column, RuleContext], "Check | None"]

# Rule type -> builder, in registration order, which is the order of a row's reasons in a report.
RULES: dict[str, RuleBuilder] = {}


def rule(name: str) -> Callable[[RuleBuilder], RuleBuilder]:
    """Register a builder: given a column and its context, it returns the column's Check for
    this rule type, or None when the column does not have the rule."""

    def register(builder: RuleBuilder) -> RuleBuilder:
        if name in RULES:
            raise ValueError(f"rule type {name} is registered twice")
        RULES[name] = builder
        return builder

    return register


def build_checks(contract: Contract, ref: Reference, period: str | None, folder: str | None = None) -> list[Check]:
    """The contract's rules as expectations. `folder` is the partner folder the file came from
    (for rules such as "a gemeente delivers only its own activities")."""
    context = RuleContext(contract, ref, period, folder)
    checks = (build(c, context) for c in contract.columns if c.personal != "never_store" for build in RULES.values())
    return [check for check in checks if check is not None]


@rule("required")
def _required(c: Column, _: RuleContext) -> Check | None:
    if not c.required:
        return None
    return Check(c.name, Expectation("expect_column_values_to_not_be_null", dict(column="raw")), "distinct",
                 lambda v: f"{c.name}: verplicht veld is leeg")


@rule("unique")
def _unique(c: Column, _: RuleContext) -> Check | None:
    if not c.unique:
        return None
    # Over the distinct values with their number of occurrences: each may occur once.
    once = Expectation("expect_column_values_to_be_between", {"column": "occurrences", "max_value": 1})
    return Check(c.name, once, "distinct",
                 lambda v: f"{c.name}: een waarde die meer dan eens voorkomt in het bestand")


@rule("enum")
def _enum(c: Column, _: RuleContext) -> Check | None:
    if c.type != "enum":
        return None
    return Check(c.name, _in_set(c.values), "distinct",
                 lambda v: f"{c.name}: geen toegestane waarde (toegestaan: {', '.join(c.values)})")


@rule("gemeente")
def _gemeente(c: Column, d: RuleContext) -> Check | None:
    if c.type != "gemeente":
        return None
    return Check(c.name, _in_set(sorted(d.ref.current_codes)),
                 "distinct",
                 lambda v: f"{c.name}: onbekende gemeentecode (geen gemeente van politie-eenheid "
                           "Midden-Nederland)")


@rule("region")
def _region(c: Column, d: RuleContext) -> Check | None:
    if c.type != "region":
        return None
    allowed = sorted(d.ref.current_codes) + list(REGIONS_OUTSIDE_GEMEENTEN)
    return Check(c.name, _in_set(allowed), "distinct",
                 lambda v: f"{c.name}: onbekende regiocode (toegestaan: een gemeente van de eenheid, PV26, "
                           "PV24, PV27, RE09 of NL01)")


@rule("folder_gemeente")
def _folder_gemeente(c: Column, d: RuleContext) -> Check | None:
    if not (c.folder_gemeente and d.folder and d.folder.upper().startswith("GM")):
        return None
    own = d.folder.upper()
    return Check(c.name, _in_set([own]), "distinct",
                 lambda v: f"{c.name}: niet de gemeente van deze map ({own}); een gemeente levert "
                           "alleen haar eigen activiteiten")


@rule("required_when")  # and required_unless: the same rule with the condition negated
def _required_when(c: Column, _: RuleContext) -> Check | None:
    cond = c.required_when or c.required_unless
    if cond is None:
        return None
    op = "==" if c.required_when else "!="
    word = "als" if c.required_when else "tenzij"
    return Check(c.name, Expectation("expect_column_values_to_not_be_null", dict(
        column="raw", row_condition=f'other{op}"{cond.equals}"', condition_parser="pandas")),
        f"pair:{cond.column}",
        lambda v: f"{c.name}: verplicht {word} {cond.column} '{cond.equals}' is")


@rule("not_greater_than")
def _not_greater_than(c: Column, _: RuleContext) -> Check | None:
    if not c.not_greater_than:
        return None
    return Check(c.name, Expectation("expect_column_pair_values_a_to_be_greater_than_b", dict(
        column_A="other", column_B="value", or_equal=True, ignore_row_if="either_value_is_missing")),
        f"pair:{c.not_greater_than}",
        lambda v: f"{c.name}: groter dan {c.not_greater_than}")


@rule("within_district")
def _within_district(c: Column, d: RuleContext) -> Check | None:
    if not c.within_district:
        return None
    pairs = sorted(d.ref.districts.items())
    return Check(c.name, Expectation("expect_column_pair_values_to_be_in_set", dict(
        column_A="value", column_B="other", value_pairs_set=pairs, ignore_row_if="either_value_is_missing")),
        f"list:{c.within_district}",
        lambda v: f"{c.name}: een gemeente die niet in het district ligt dat bij deze rij staat")


@rule("wijk")
def _wijk(c: Column, _: RuleContext) -> Check | None:
    if c.type != "wijk":
        return None
    return Check(c.name, _regex(r"^WK\d{6}$"), "distinct",
                 lambda v: f"{c.name}: geen wijkcode (verwacht WK gevolgd door 6 cijfers)")


@rule("pattern")
def _pattern(c: Column, _: RuleContext) -> Check | None:
    if not c.pattern:
        return None
    return Check(c.name, _regex(c.pattern), "distinct",
                 lambda v: f"{c.name}: niet de juiste vorm")


@rule("min_max")
def _min_max(c: Column, _: RuleContext) -> Check | None:
    if c.min is None and c.max is None:
        return None
    low = "" if c.min is None else f"{c.min:g}"
    high = "" if c.max is None else f"{c.max:g}"
    bound = f"tussen {low} en {high}" if low and high else (f"minimaal {low}" if low else f"maximaal {high}")
    return Check(c.name, _between(c.min, c.max),
                 "distinct", lambda v: f"{c.name}: moet {bound} liggen")


# What the raw column's type can hold (ingest.contracts.PG_TYPES): integer, numeric(14,2),
# double precision. A value beyond it is a rejected row like any other, not a failed COPY.
STORED_RANGE = {"integer": (-2_147_483_648, 2_147_483_647), "decimal": (-999_999_999_999.99, 999_999_999_999.99),
                "number": (-1.7976931348623157e308, 1.7976931348623157e308)}
STORED_RANGE_NL = {"integer": "een geheel getal van -2.147.483.648 tot en met 2.147.483.647",
                   "decimal": "minder dan duizend miljard", "number": "een eindig getal"}


@rule("stored_range")
def _stored_range(c: Column, _: RuleContext) -> Check | None:
    if c.type not in STORED_RANGE or c.stored_type != PG_TYPES[c.type]:
        return None  # stored as something else (an age band), or not stored
    low, high = STORED_RANGE[c.type]
    return Check(c.name, _between(low, high),
                 "distinct", lambda v: f"{c.name}: getal valt buiten wat kan worden opgeslagen "
                                       f"({STORED_RANGE_NL[c.type]})")


@rule("in_period")
def _in_period(c: Column, d: RuleContext) -> Check | None:
    if not (c.in_period and d.period):
        return None
    start, end = period_bounds(d.contract, d.period)
    return Check(c.name, _between(start, end), "distinct",
        lambda v: f"{c.name}: valt niet in de periode van het bestand "
                  f"({start:%d-%m-%Y} t/m {end:%d-%m-%Y})")


@rule("not_after")
def _not_after(c: Column, _: RuleContext) -> Check | None:
    if not c.not_after:
        return None
    return Check(c.name, Expectation("expect_column_pair_values_a_to_be_greater_than_b", dict(
        column_A="other", column_B="value", or_equal=True, ignore_row_if="either_value_is_missing")),
        f"pair:{c.not_after}",
        lambda v: f"{c.name}: ligt na {c.not_after}")


@rule("not_before")
def _not_before(c: Column, _: RuleContext) -> Check | None:
    if not c.not_before:
        return None
    return Check(c.name, Expectation("expect_column_pair_values_a_to_be_greater_than_b", dict(
        column_A="value", column_B="other", or_equal=True, ignore_row_if="either_value_is_missing")),
        f"pair:{c.not_before}",
        lambda v: f"{c.name}: ligt voor {c.not_before}")


@rule("within_gemeente")
def _within_gemeente(c: Column, _: RuleContext) -> Check | None:
    if not c.within_gemeente:
        return None
    return Check(c.name, Expectation("expect_column_pair_values_to_be_equal", dict(
        column_A="value_gemeente", column_B="other", ignore_row_if="either_value_is_missing")),
        f"pair:{c.within_gemeente}",
        lambda v: f"{c.name}: de wijk ligt niet in {c.within_gemeente}")


def _as_frame_values(values: np.ndarray) -> np.ndarray:
    """Dates compare as timestamps (as GE's pandas engine has them), numbers fastest as float64."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, date):
        return np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values],
                        dtype="datetime64[ns]")
    if isinstance(sample, (int, float)) and not isinstance(sample, bool):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return values


def _with_typed_empty(d: Distinct) -> np.ndarray:
    """The distinct typed values and, at index len(d), None for the empty value."""
    typed = np.empty(len(d) + 1, dtype=object)
    typed[:len(d)] = d.objects()
    return typed


def _distinct_frame(d: Distinct, needed: set[str]) -> tuple[Frame, list[np.ndarray] | np.ndarray, np.ndarray]:
    """What the expectations of one column see: one frame row per distinct value that occurs in
    the file (plus 'empty' as one more value), with only the columns they need. Returns the
    frame, the distinct values each frame row stands for, and row -> distinct value.

    When the expectations do not look at the value itself (required, unique), distinct values
    that look the same to them (empty or not, how often they occur) share one frame row: for a
    million identifiers a handful of rows are checked instead of a million."""
    n = len(d)
    codes = np.where(d.codes < 0, n, d.codes)
    occurrences = np.bincount(codes, minlength=n + 1)
    present = np.flatnonzero(occurrences)
    empty = present == n
    counts = np.where(empty, 0, occurrences[present])
    frame: dict[str, np.ndarray] = {}
    if "value" not in needed:
        kinds, first, inverse = np.unique(counts * 2 + empty, return_index=True, return_inverse=True)
        members = np.split(present[np.argsort(inverse, kind="stable")], np.cumsum(np.bincount(inverse))[:-1])
        if "raw" in needed:  # only emptiness matters: NaN marks the empty value
            frame["raw"] = np.where(empty[first], np.nan, 0.0)
        if "occurrences" in needed:
            frame["occurrences"] = counts[first]
        return frame, members, codes
    if "raw" in needed:
        frame["raw"] = np.where(empty, np.nan, 0.0)
    frame["value"] = _as_frame_values(_with_typed_empty(d)[present])
    if "occurrences" in needed:
        frame["occurrences"] = counts
    return frame, present[:, None], codes


def _distinct_pairs(d: Distinct, other: Distinct) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row -> index of its distinct (value, other value) pair, and the pairs' two sides
    (None for an empty or unparseable value), and whether the first side was empty."""
    width = len(other) + 1
    a = np.where(d.codes < 0, len(d), d.codes).astype(np.int64)
    b = np.where(other.codes < 0, len(other), other.codes).astype(np.int64)
    encoded = pc.dictionary_encode(pa.array(a * width + b))  # pairs in order of first appearance
    row_codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    pair_uniques = encoded.dictionary.to_numpy(zero_copy_only=False)
    return (row_codes, _with_typed_empty(d)[pair_uniques // width], _with_typed_empty(other)[pair_uniques % width],
            pair_uniques // width == len(d))


Evaluate = Callable[[list[Expectation], Frame, str], list[np.ndarray]]


def vectorised(expectations: list[Expectation], frame: Frame, name: str) -> list[np.ndarray]:
    return [unexpected(e, frame) for e in expectations]


def with_gx(expectations: list[Expectation], frame: Frame, name: str) -> list[np.ndarray]:
    """Great Expectations' own validation of the same suite (the reference; seconds to import)."""
    import pandas as pd

    return gx_unexpected(expectations, pd.DataFrame(dict(frame)), name)


def run_checks(checks: list[Check], data: Normalized, n_rows: int,
               evaluate: Evaluate = vectorised) -> dict[int, list[str]]:
    """Returns row position -> Dutch reasons, for every row that fails any rule."""
    reasons: dict[int, list[str]] = {}

    def add(row_codes: np.ndarray, messages: dict[int, list[str]]) -> None:
        """Every row whose code has messages gets them (one pass over the rows per check)."""
        failing = np.zeros(int(row_codes.max(initial=0)) + 1, dtype=bool)
        failing[list(messages)] = True
        for r in np.flatnonzero(failing[row_codes]).tolist():
            reasons.setdefault(r, []).extend(messages[int(row_codes[r])])

    # Parse errors found while typing values.
    for _name, d in data.columns.items():
        if d.errors:
            codes = np.where(d.codes < 0, len(d), d.codes)
            add(codes, {i: [reason] for i, reason in d.errors.items()})

    by_frame: dict[tuple[str, str], list[Check]] = {}
    for check in checks:
        by_frame.setdefault((check.column, check.frame), []).append(check)

    for (name, kind), group in by_frame.items():
        d = data.columns[name]
        # expand(frame row) -> [(code, value to name in the message)]: the codes (in row_codes)
        # of the rows a failing frame row stands for.
        if kind == "distinct":
            needed = set().union(*(g.expectation.columns for g in group))
            frame, members, row_codes = _distinct_frame(d, needed)
            empty = len(d)

            def expand(position, members=members, d=d, empty=empty):
                return [(int(i), None if i == empty else d.value(int(i))) for i in members[position]]
        elif kind.startswith("list:"):
            # A list column against another column: one pair per list element, so that the
            # expectation sees (gemeente, district) pairs; a failing pair fails its rows.
            row_codes, firsts, seconds, _ = _distinct_pairs(d, data.columns[kind.split(":", 1)[1]])
            exploded = [(pos, g, o) for pos, (v, o) in enumerate(zip(firsts, seconds)) for g in (v or ())]
            frame = {"value": objects([e[1] for e in exploded]), "other": objects([e[2] for e in exploded])}

            def expand(position, exploded=exploded):
                return [(exploded[position][0], exploded[position][1])]
        else:
            row_codes, firsts, seconds, first_empty = _distinct_pairs(d, data.columns[kind.split(":", 1)[1]])
            frame = {"value": _as_frame_values(firsts), "other": _as_frame_values(seconds),
                     "raw": np.where(first_empty, np.nan, 0.0)}
            if any("value_gemeente" in g.expectation.columns for g in group):
                frame["value_gemeente"] = objects(["GM" + v[2:6] if isinstance(v, str) and len(v) == 8 else None
                                                   for v in firsts])

            def expand(position, firsts=firsts):
                return [(position, firsts[position])]
        failing = evaluate([g.expectation for g in group], frame, f"{name}.{kind}")
        for check, positions in zip(group, failing):
            if not len(positions):
                continue
            messages: dict[int, list[str]] = {}
            for position in positions.tolist():
                for code, value in expand(int(position)):
                    messages.setdefault(code, []).append(check.message(value))
            if messages:
                add(np.asarray(row_codes), messages)
    return reasons
