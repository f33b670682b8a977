"""Give every value its declared type, the way the partner specs define the formats.

Work is done once per *distinct* value and then broadcast to the rows (a month of police
registrations has a few dozen distinct dates and a few hundred distinct amounts, but a million
rows). Values that do not fit their type become null with a Dutch reason for the rows they are on.
A reason names the column and what was expected, never the value: reasons reach the audit trail,
the partner's report, logs and XComs, and a value may be anything a partner typed.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contracts import Column, Contract


@dataclass
class Reference:
    """What validation needs to know about gemeente codes (from reference.*)."""

    current_codes: frozenset[str]
    mapping: dict[str, tuple[str, str, str]]  # old code -> (new code, old name, date)
    districts: dict[str, str] = field(default_factory=dict)  # gemeente -> district


def objects(values: list | pa.Array) -> np.ndarray:
    """A one-dimensional object array (numpy would make tuples a second dimension)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values.to_pylist() if isinstance(values, (pa.Array, pa.ChunkedArray)) else values
    return out


@dataclass
class Distinct:
    codes: np.ndarray            # row -> index into values (-1 = empty)
    raw: pa.Array                # distinct raw strings
    typed: np.ndarray | pa.Array  # distinct typed values (None where unparseable); Arrow strings for identifiers
    errors: dict[int, str] = field(default_factory=dict)  # distinct index -> reason

    def __len__(self) -> int:
        return len(self.typed)

    def objects(self) -> np.ndarray:
        """The distinct typed values as Python objects."""
        return self.typed if isinstance(self.typed, np.ndarray) else objects(self.typed)

    def value(self, i: int) -> object:
        return self.typed[i] if isinstance(self.typed, np.ndarray) else self.typed[i].as_py()


@dataclass
class Normalized:
    columns: dict[str, Distinct]


_GEMEENTE = re.compile(r"^(?:GM)?(\d{1,4})$", re.IGNORECASE)
_DATE_NL = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_INT = re.compile(r"^[+-]?\d+$")
# More digits than any stored whole number has (int8: 19): such a value does not fit its column,
# and Python would refuse to convert one of thousands of digits at all.
MAX_INT_DIGITS = 18
_DEC_NL = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
_DEC_POINT = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def parse_date(value: str) -> date | None:
    for pattern, order in ((_DATE_NL, (3, 2, 1)), (_DATE_ISO, (1, 2, 3))):
        m = pattern.match(value)
        if m:
            try:
                return date(int(m.group(order[0])), int(m.group(order[1])), int(m.group(order[2])))
            except ValueError:
                return None
    return None


def _gemeente(label: str, v: str, ref: Reference) -> tuple[str | None, str | None]:
    m = _GEMEENTE.match(v)
    if not m:
        return None, f"{label}: geen gemeentecode (verwacht GM0344, 0344 of 344)"
    code = "GM" + m.group(1).zfill(4)
    if code in ref.mapping:
        new, old_name, since = ref.mapping[code]
        if new not in ref.current_codes:
            return None, (f"{label}: een opgeheven gemeente die is opgegaan in een gemeente buiten "
                          "politie-eenheid Midden-Nederland")
        code = new
    return code, None


def too_large(column: Column) -> str:
    """A number too large to store, named without its digits (there may be thousands)."""
    return f"{column.name}: getal is te groot om op te slaan"


def _convert_numbers(column: Column, values: pa.Array, decimal_comma: bool) -> tuple[list, dict[int, str]]:
    """Vectorised: a month of amounts can hold hundreds of thousands of distinct values."""
    text = values.cast(pa.large_string())
    unsigned = pc.replace_substring_regex(text, r"^\+", "")  # Arrow's parser takes no plus sign
    if column.type == "integer":
        ok = pc.match_substring_regex(text, _INT.pattern).fill_null(False).to_numpy(zero_copy_only=False)
        digits = pc.utf8_length(pc.utf8_ltrim(text, "+-")).fill_null(0).to_numpy(zero_copy_only=False)
        huge = ok & (digits > MAX_INT_DIGITS)
        ok = ok & ~huge  # not in place: to_numpy may hand out a read-only array
        parsed = pc.cast(pc.if_else(pa.array(ok), unsigned, pa.scalar(None, pa.large_string())), pa.int64())
        out = parsed.to_pylist()
        errors = {int(i): f"{column.name}: geen geheel getal" for i in np.flatnonzero(~ok & ~huge)}
        errors.update({int(i): too_large(column) for i in np.flatnonzero(huge)})
        return out, errors
    comma = decimal_comma and column.type == "decimal"
    pattern = _DEC_NL if comma else _DEC_POINT
    ok = pc.match_substring_regex(text, pattern.pattern).fill_null(False).to_numpy(zero_copy_only=False)
    cleaned = pc.replace_substring(pc.replace_substring(unsigned, ".", ""), ",", ".") if comma else unsigned
    parsed = pc.cast(pc.if_else(pa.array(ok), cleaned, pa.scalar(None, pa.large_string())), pa.float64())
    out = parsed.to_pylist()
    hint = (" (gebruik een decimale komma, bijvoorbeeld 1.234,56)" if comma
            else " (gebruik een decimale punt, bijvoorbeeld 12.5)")
    errors = {int(i): f"{column.name}: geen geldig getal{hint}" for i in np.flatnonzero(~ok)}
    return out, errors


def _convert(column: Column, values: pa.Array, contract: Contract, ref: Reference,
             decimal_comma: bool) -> tuple[list, dict[int, str]]:
    if column.type in ("integer", "decimal", "number") and len(values) > 256:
        return _convert_numbers(column, values, decimal_comma)
    label = column.name
    out: list = []
    errors: dict[int, str] = {}
    t = column.type
    for i, v in enumerate(values.to_pylist()):
        if t in ("text", "wijk", "region"):
            out.append(v.upper() if t in ("wijk", "region") else v)
        elif t == "enum":
            match = next((allowed for allowed in column.values if allowed.lower() == v.lower()), v.lower())
            out.append(match)
        elif t == "ja_nee":
            low = v.lower()
            if low in ("ja", "nee"):
                out.append(low == "ja")
            else:
                errors[i] = f"{label}: geen ja of nee"
                out.append(None)
        elif t == "date":
            d = parse_date(v)
            if d is None:
                errors[i] = f"{label}: geen geldige datum (gebruik dd-mm-jjjj of jjjj-mm-dd)"
            out.append(d)
        elif t == "integer":
            if _INT.match(v) and len(v.lstrip("+-")) > MAX_INT_DIGITS:
                errors[i] = too_large(column)
                out.append(None)
            elif _INT.match(v):
                out.append(int(v))
            else:
                errors[i] = f"{label}: geen geheel getal"
                out.append(None)
        elif t in ("decimal", "number"):
            comma = decimal_comma and t == "decimal"
            if comma and _DEC_NL.match(v):
                out.append(float(v.replace(".", "").replace(",", ".")))
            elif not comma and _DEC_POINT.match(v):
                out.append(float(v))
            else:
                hint = " (gebruik een decimale komma, bijvoorbeeld 1.234,56)" if comma else \
                    " (gebruik een decimale punt, bijvoorbeeld 12.5)"
                errors[i] = f"{label}: geen geldig getal{hint}"
                out.append(None)
        elif t == "gemeente":
            code, error = _gemeente(label, v, ref)
            if error:
                errors[i] = error
            out.append(code)
        elif t == "gemeente_list":
            codes, problems = [], []
            for part in re.split(r"[,;]", v):
                if part.strip():
                    code, error = _gemeente(label, part.strip(), ref)
                    codes.append(code) if code else problems.append(error)
            if problems:
                errors[i] = "; ".join(dict.fromkeys(problems))
                out.append(None)
            else:
                out.append(tuple(codes))
        else:
            out.append(v)
    return out, errors


def _dictionary(values: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Row -> index of its distinct value (-1 for empty), and the distinct values in order of
    first appearance. Arrow's hash encoding: no Python object per row."""
    if isinstance(values, pa.ChunkedArray):
        values = values.unify_dictionaries().combine_chunks() if pa.types.is_dictionary(values.type) \
            else values.combine_chunks()
    if not pa.types.is_dictionary(values.type):  # the reader encoded the others already
        values = pc.dictionary_encode(values)
    codes = values.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, values.dictionary.cast(pa.large_string())


def normalize(contract: Contract, frame: pa.Table, ref: Reference, *, decimal_comma: bool = True,
              part: Literal["all", "identifiers", "others"] = "all") -> Normalized:
    """`decimal_comma`: decimals are written the Dutch way (CSV exports); spreadsheets and JSON
    carry real numbers. `part` splits the work: the columns to pseudonymise ("identifiers") are
    needed by validation only (the stored rows take their pseudonyms), so they can be encoded
    while the other columns are already being written."""
    columns: dict[str, Distinct] = {}
    for column in contract.columns:
        if column.personal == "never_store":
            continue
        if part != "all" and (column.personal == "pseudonymise") != (part == "identifiers"):
            continue
        codes, dictionary = _dictionary(frame[column.name])
        if column.personal == "pseudonymise":
            # Identifiers are (nearly) all distinct and their values are never needed as Python
            # objects (the pseudonyms are made from the Arrow column).
            columns[column.name] = Distinct(codes, dictionary, dictionary)
            continue
        if column.type == "text" and column.personal is None and not column.pattern:
            # Free identifiers: nothing to convert, keep the distinct values as they are.
            columns[column.name] = Distinct(codes, dictionary, objects(dictionary))
            continue
        typed, errors = _convert(column, dictionary, contract, ref, decimal_comma)
        columns[column.name] = Distinct(codes, dictionary, objects(typed), errors)
    return Normalized(columns)


def period_bounds(contract: Contract, period: str) -> tuple[date, date]:
    if contract.period == "month":
        start = datetime.strptime(period, "%Y-%m").date()
        return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if contract.period == "quarter":
        year, q = int(period[:4]), int(period[-1])
        start = date(year, 3 * (q - 1) + 1, 1)
        last = 3 * q
        return start, date(year, last, calendar.monthrange(year, last)[1])
    if contract.period == "date":
        day = datetime.strptime(period, "%Y-%m-%d").date()
        return day, day
    raise ValueError(f"no bounds for period kind {contract.period}")
